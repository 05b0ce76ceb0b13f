import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { Script } from "../config/script.js";
import type { Executor, ExecutorJobStatus, JobRef } from "../executors/executor.js";
import { executorFromConfig } from "../executors/executor-kinds.js";

export interface ExecutorContractOptions {
  /** Name shown in the test titles. */
  readonly name: string;
  readonly create: () => Executor | Promise<Executor>;
  /** Cases this executor cannot pass, each with the reason. */
  readonly skip?: { readonly reattach?: string; readonly noOrphans?: string };
  /** Longest time a trivial job may take from submit to end on this backend. */
  readonly jobTimeoutMs?: number;
}

/**
 * The behaviour every executor must have, run against a real backend. Call it from a test file:
 *
 * @example
 * executorContract({ name: "local", create: () => new LocalExecutor() });
 */
export function executorContract(options: ExecutorContractOptions): void {
  const timeout = options.jobTimeoutMs ?? 20_000;
  describe(`executor contract: ${options.name}`, () => {
    const root = mkdtempSync(join(tmpdir(), `labrun-contract-${options.name}-`));
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    async function submit(
      executor: Executor,
      script: Script,
      env: Record<string, string> = {},
    ): Promise<JobRef> {
      const jobDir = join(root, randomUUID());
      const spec = script.launchSpec({ jobDir, jobName: script.name });
      const handle = await executor.submit({
        jobDir,
        jobName: script.name,
        experimentId: "contract",
        task: script,
        spec,
        labrunEnv: { LABRUN_JOB_DIR: jobDir, ...env },
      });
      return { jobDir, handle };
    }

    async function waitForEnd(executor: Executor, job: JobRef): Promise<ExecutorJobStatus> {
      const deadline = Date.now() + timeout;
      for (;;) {
        const [status] = await executor.status([job]);
        if (status && status.state !== "PENDING" && status.state !== "RUNNING") return status;
        if (Date.now() > deadline)
          throw new Error(`job in ${job.jobDir} still ${status?.state} after ${timeout} ms`);
        await sleep(50);
      }
    }

    async function waitForRunning(executor: Executor, job: JobRef): Promise<void> {
      const deadline = Date.now() + timeout;
      while ((await executor.status([job]))[0]?.state !== "RUNNING") {
        if (Date.now() > deadline) throw new Error(`job in ${job.jobDir} did not start within ${timeout} ms`);
        await sleep(50);
      }
    }

    async function collect(executor: Executor, job: JobRef): Promise<string[]> {
      const lines: string[] = [];
      for await (const { stream, line } of executor.logs(job)) lines.push(`${stream}:${line}`);
      return lines;
    }

    it("runs a job to COMPLETED with exit code 0 and keeps its output", async () => {
      const executor = await options.create();
      const job = await submit(executor, new Script({ inline: "echo hello out; echo hello err >&2" }));
      const status = await waitForEnd(executor, job);
      expect(status).toMatchObject({ state: "COMPLETED", exitCode: 0 });
      expect(status.endedAt).toBeDefined();
      expect(await collect(executor, job)).toEqual(["stdout:hello out", "stderr:hello err"]);
    });

    it("reports a non-zero exit as FAILED with its code and a reason", async () => {
      const executor = await options.create();
      const job = await submit(executor, new Script({ inline: "echo about to fail; exit 3" }));
      const status = await waitForEnd(executor, job);
      expect(status).toMatchObject({ state: "FAILED", exitCode: 3 });
      expect(status.reason).toContain("3");
    });

    it("reports a command that does not exist as FAILED (127) with the shell's message in the logs", async () => {
      const executor = await options.create();
      const job = await submit(executor, new Script({ inline: "no-such-command-labrun-test" }));
      expect(await waitForEnd(executor, job)).toMatchObject({ state: "FAILED", exitCode: 127 });
      expect((await collect(executor, job)).join("\n")).toContain("no-such-command-labrun-test");
    });

    it("gives the job its environment, the labrun variables and its working directory", async () => {
      const executor = await options.create();
      const cwd = mkdtempSync(join(root, "cwd-"));
      const script = new Script({
        inline: 'echo "$TASK_VAR|$LABRUN_EXPERIMENT_ID|$PWD"',
        env: { TASK_VAR: "from task" },
        cwd,
      });
      const job = await submit(executor, script, { LABRUN_EXPERIMENT_ID: "exp-42" });
      await waitForEnd(executor, job);
      expect(await collect(executor, job)).toEqual([`stdout:from task|exp-42|${cwd}`]);
    });

    it("shows a running job as RUNNING and follows its log until it ends", async () => {
      const executor = await options.create();
      const job = await submit(
        executor,
        new Script({ inline: "for i in 1 2 3; do echo line $i; sleep 0.3; done" }),
      );
      await waitForRunning(executor, job);
      const lines: string[] = [];
      for await (const { line } of executor.logs(job, { follow: true })) lines.push(line);
      expect(lines).toEqual(["line 1", "line 2", "line 3"]);
      expect((await executor.status([job]))[0]?.state).toBe("COMPLETED");
    });

    it.skipIf(options.skip?.noOrphans !== undefined)(
      `cancel stops the job's whole process tree, leaving no orphans${options.skip?.noOrphans ? ` (skipped: ${options.skip.noOrphans})` : ""}`,
      async () => {
        const executor = await options.create();
        const marker = `labrun-orphan-check-${randomUUID()}`;
        // Children in the background, a grandchild, and a command that ignores SIGTERM.
        const script = new Script({
          inline: `sleep 300 & bash -c 'sleep 301 & wait' & bash -c 'trap "" TERM; sleep 302' & echo started; wait`,
          env: { ORPHAN_MARKER: marker },
        });
        const job = await submit(executor, script);
        await waitForRunning(executor, job);
        await waitForLine(executor, job, "started");
        expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(4);
        await executor.cancel(job);
        // A backend may stop the tree asynchronously after cancel returns (Slurm's slurmd does: SIGTERM, then
        // SIGKILL after KillWait, 5 s on the local cluster, later on a loaded machine), then every process
        // must be gone.
        const deadline = Date.now() + 20_000;
        while (processesWithMarker(marker).length > 0 && Date.now() < deadline) await sleep(100);
        expect(processesWithMarker(marker)).toEqual([]);
        expect((await executor.status([job]))[0]?.state).not.toBe("RUNNING");
      },
    );

    it.skipIf(options.skip?.reattach !== undefined)(
      `another executor instance built from toConfig() sees, follows and cancels the job${options.skip?.reattach ? ` (skipped: ${options.skip.reattach})` : ""}`,
      async () => {
        const first = await options.create();
        const job = await submit(first, new Script({ inline: "echo up; sleep 300" }));
        await waitForRunning(first, job);
        const second = executorFromConfig(JSON.parse(JSON.stringify(first.toConfig())));
        expect((await second.status([job]))[0]?.state).toBe("RUNNING");
        await waitForLine(second, job, "up");
        await second.cancel(job);
        const status = await waitForEnd(second, job);
        expect(status.state).not.toBe("COMPLETED");
      },
    );

    async function waitForLine(executor: Executor, job: JobRef, text: string): Promise<void> {
      const deadline = Date.now() + timeout;
      while (!(await collect(executor, job)).includes(`stdout:${text}`)) {
        if (Date.now() > deadline) throw new Error(`"${text}" never appeared in the log of ${job.jobDir}`);
        await sleep(50);
      }
    }
  });
}

/** Pids of live processes whose environment contains `marker` (as ORPHAN_MARKER). */
export function processesWithMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state !== "Z" && environ.includes(`ORPHAN_MARKER=${marker}`)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
