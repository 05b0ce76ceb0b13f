import { spawnSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalTunnel, Script } from "../../src/index.js";
import type { ExecOptions, ExecResult } from "../../src/executors/tunnel/tunnel.js";
import { maxArraySize } from "../../src/executors/slurm/array-limit.js";
import { tempWorkspace } from "../helpers.js";
import { newExperiment, read, slurm, slurmEnabled } from "./helpers.js";

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace("slurm-array-limit");
});
afterEach(() => ws.cleanup());

/**
 * The local cluster, except that its configuration says MaxArraySize = 3 (a setting of the shared cluster this
 * test may not change); every other command runs for real. It counts the sbatch calls.
 */
class SmallArraysTunnel extends LocalTunnel {
  sbatchCalls = 0;
  override exec(script: string, options?: ExecOptions): Promise<ExecResult> {
    if (script.startsWith("scontrol show config"))
      return Promise.resolve({ code: 0, stdout: "MaxArraySize            = 3\n", stderr: "" });
    if (/\bsbatch\b/.test(script)) this.sbatchCalls++;
    return super.exec(script, options);
  }
}

describe.skipIf(!slurmEnabled)("job arrays and the cluster's MaxArraySize", () => {
  it("reads MaxArraySize from the cluster's configuration", async () => {
    const said = spawnSync("bash", ["-c", "scontrol show config | grep -i '^MaxArraySize'"], {
      encoding: "utf8",
    });
    expect(await maxArraySize(new LocalTunnel())).toBe(Number(/=\s*(\d+)/.exec(said.stdout)![1]));
  });

  it("cuts a sweep larger than MaxArraySize into the fewest arrays, each element indexed within its array", async () => {
    const tunnel = new SmallArraysTunnel();
    await using exp = newExperiment(ws.root, "sweep", slurm({ tunnel }));
    for (let i = 0; i < 8; i++) exp.add(new Script({ inline: `echo element ${i}` }), { name: `job-${i}` });
    const result = await exp.run();

    expect(result.ok).toBe(true);
    expect(tunnel.sbatchCalls).toBe(3);
    const ids = exp.jobs.map((job) => job.jobId!);
    const arrays = [...new Set(ids.map((id) => id.split("_")[0]))];
    expect(arrays).toHaveLength(3);
    expect(ids.map((id) => id.split("_")[1])).toEqual(["0", "1", "2", "0", "1", "2", "0", "1"]);
    exp.jobs.forEach((job, i) => expect(read(`${job.directory}/stdout.log`)).toBe(`element ${i}\n`));
  });
});
