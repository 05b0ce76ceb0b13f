import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Experiment, GitArchivePackager, Script, SlurmExecutor, SSHTunnel } from "../../src/index.js";
import { executorContract } from "../../src/testing/index.js";
import { tempWorkspace } from "../helpers.js";
import { slurmEnabled } from "../slurm/helpers.js";
import { startSshd } from "./sshd.js";
import type { TestSshd } from "./sshd.js";

// The Slurm executor from "another machine": every Slurm command and file goes through SSH to this host's sshd,
// and job directories live under a separate remote root, so nothing is shared by accident.
let sshd: TestSshd | undefined;
const remoteRoot = mkdtempSync(join(tmpdir(), "labrun-cluster-"));
const tunnels: SSHTunnel[] = [];

function tunnel(): SSHTunnel {
  const made = new SSHTunnel({
    host: "127.0.0.1",
    port: sshd!.port,
    user: sshd!.user,
    identity: sshd!.identity,
    jobDir: remoteRoot,
    sshOptions: sshd!.sshOptions,
  });
  tunnels.push(made);
  return made;
}

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  for (const made of tunnels) await made.close();
  await sshd?.stop();
  rmSync(remoteRoot, { recursive: true, force: true });
});

if (slurmEnabled)
  executorContract({
    name: "slurm (SSHTunnel to localhost)",
    create: () => new SlurmExecutor({ partition: "debug", time: "5", tunnel: tunnel() }),
    jobTimeoutMs: 60_000,
  });

describe.skipIf(!slurmEnabled)("SlurmExecutor over SSH", () => {
  it("ships the committed code once per experiment and runs the jobs from it on the cluster", async () => {
    const repo = mkdtempSync(join(tmpdir(), "labrun-repo-"));
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" });
    git("init", "-q");
    writeFileSync(join(repo, "train.sh"), 'echo "seed=$SEED cwd=$PWD"\n');
    git("add", "train.sh");
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "train");
    let archives = 0;
    class CountingPackager extends GitArchivePackager {
      override async archive(): Promise<Buffer> {
        archives++;
        return super.archive();
      }
    }
    const ws = tempWorkspace("slurm-ssh");
    try {
      const executor = new SlurmExecutor({
        partition: "debug",
        time: "5",
        tunnel: tunnel(),
        packager: new CountingPackager({ path: repo }),
        array: false,
      });
      await using exp = new Experiment("shipped", {
        executor,
        baseDir: ws.root,
        cleanMode: true,
        systemMetricsIntervalMs: 0,
      });
      for (const seed of [1, 2, 3])
        exp.add(new Script({ path: join(repo, "train.sh"), cwd: repo, env: { SEED: String(seed) } }), {
          name: `train-${seed}`,
        });
      const result = await exp.run();
      expect(result.ok).toBe(true);
      expect(archives).toBe(1);
      const codeDir = join(remoteRoot, "experiments", "shipped", result.id, "code");
      expect(readFileSync(join(codeDir, "train.sh"), "utf8")).toContain("seed=$SEED");
      for (const [i, job] of exp.jobs.entries()) {
        // Brought back from the cluster: the output, the exit code and the sbatch script that ran.
        expect(readFileSync(join(job.directory, "stdout.log"), "utf8")).toBe(
          `seed=${i + 1} cwd=${codeDir}\n`,
        );
        expect(readFileSync(join(job.directory, "exit_code"), "utf8").trim()).toBe("0");
        expect(readFileSync(join(job.directory, "sbatch.sh"), "utf8")).toContain(
          join(remoteRoot, "jobs", "train.sh"),
        );
      }
    } finally {
      ws.cleanup();
    }
  });

  it("submits a sweep over SSH as one array and brings each element's outputs back", async () => {
    const ws = tempWorkspace("slurm-ssh-array");
    try {
      await using exp = new Experiment("remote-sweep", {
        executor: new SlurmExecutor({ partition: "debug", time: "5", tunnel: tunnel() }),
        baseDir: ws.root,
        cleanMode: true,
        systemMetricsIntervalMs: 0,
      });
      for (const seed of [1, 2, 3])
        exp.add(new Script({ inline: 'echo "seed $SEED in $LABRUN_JOB_DIR"', env: { SEED: String(seed) } }), {
          name: `seed-${seed}`,
        });
      const result = await exp.run();
      expect(result.ok).toBe(true);
      const arrayId = exp.jobs[0]!.jobId!.split("_")[0];
      for (const [i, job] of exp.jobs.entries()) {
        expect(job.jobId).toBe(`${arrayId}_${i}`);
        const remoteDir = join(remoteRoot, "jobs", "script", job.directory.split("/").at(-1)!);
        expect(readFileSync(join(job.directory, "stdout.log"), "utf8")).toBe(
          `seed ${i + 1} in ${remoteDir}\n`,
        );
      }
    } finally {
      ws.cleanup();
    }
  });

  it("refuses uncommitted changes instead of silently leaving them out", async () => {
    const repo = mkdtempSync(join(tmpdir(), "labrun-dirty-"));
    execFileSync("git", ["-C", repo, "init", "-q"]);
    writeFileSync(join(repo, "new.py"), "print(1)\n");
    const ws = tempWorkspace("slurm-ssh-dirty");
    try {
      await using exp = new Experiment("dirty", {
        executor: new SlurmExecutor({ tunnel: tunnel(), packager: new GitArchivePackager({ path: repo }) }),
        baseDir: ws.root,
        cleanMode: true,
        systemMetricsIntervalMs: 0,
      });
      exp.add(new Script({ inline: "echo hi", cwd: repo }), { name: "job" });
      const result = await exp.run();
      expect(result.jobs[0]).toMatchObject({ state: "FAILED" });
      expect(result.jobs[0]!.reason).toMatch(/uncommitted or untracked changes \(new\.py\)/);
      expect(existsSync(join(remoteRoot, "experiments", "dirty"))).toBe(false);
    } finally {
      ws.cleanup();
    }
  });
});
