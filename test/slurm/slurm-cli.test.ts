import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";
import { slurmEnabled } from "./helpers.js";

const fixture = join(import.meta.dirname, "fixtures", "slurm-long.ts");
let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("slurm-cli");
});
afterEach(() => ws.cleanup());

/** Slurm's own view of the jobs with this name: `<id> <state>` lines. */
function queue(name: string): string[] {
  const out = spawnSync("squeue", ["-h", "-t", "all", "-n", name, "-o", "%i %T"], {
    encoding: "utf8",
  }).stdout;
  return out.trim().split("\n").filter(Boolean).sort();
}

describe.skipIf(!slurmEnabled)("labrun CLI with Slurm jobs", () => {
  it("Ctrl-C in an attached run cancels its Slurm jobs, the held dependent too", async () => {
    const name = `cli-ctrl-c-${Date.now()}`;
    const run = startCli(["run", fixture], { workspace: ws.root, env: { SLURM_JOB_NAME_PREFIX: name } });
    await waitFor("both jobs in Slurm, one running", () => {
      const states = queue(name).map((line) => line.split(" ")[1]);
      return states.length === 2 && states.includes("RUNNING");
    });
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(1);
    const states = queue(name).map((line) => line.split(" ")[1]);
    expect(states).toEqual(["CANCELLED", "CANCELLED"]);
    expect(run.output().stdout + run.output().stderr).toContain("cancelled by Ctrl-C");
  });

  it("status, logs and cancel of a detached experiment rebuild the Slurm executor from disk", async () => {
    const name = `cli-detached-${Date.now()}`;
    const launched = runCli(["run", fixture], {
      workspace: ws.root,
      env: { DETACH: "1", SLURM_JOB_NAME_PREFIX: name },
    });
    expect(launched.code).toBe(0);
    const id = /labrun experiment status (\S+)/.exec(launched.stdout + launched.stderr)?.[1];
    expect(id).toBeDefined();
    const status = await waitFor("the long job running", () => {
      const result = runCli(["experiment", "status", id!, "--json"], { workspace: ws.root });
      const jobs = JSON.parse(result.stdout).jobs as {
        name: string;
        state: string;
        jobId?: string;
        executor: string;
      }[];
      return jobs[0]?.state === "RUNNING" ? jobs : undefined;
    });
    expect(status.map((job) => job.executor)).toEqual(["slurm", "slurm"]);
    expect(status[1]!.state).toBe("SUBMITTED");
    expect(status[1]!.jobId).toMatch(/^\d+$/);
    await waitFor("the first line of the log", () =>
      runCli(["experiment", "logs", id!, "long"], { workspace: ws.root }).stdout.includes("long running"),
    );
    const cancelled = runCli(["experiment", "cancel", id!, "--all"], { workspace: ws.root });
    expect(cancelled.code).toBe(0);
    expect(queue(name).map((line) => line.split(" ")[1])).toEqual(["CANCELLED", "CANCELLED"]);
    const after = JSON.parse(runCli(["experiment", "status", id!, "--json"], { workspace: ws.root }).stdout);
    expect(after.jobs.map((job: { state: string }) => job.state)).toEqual(["CANCELLED", "CANCELLED"]);
  });
});
