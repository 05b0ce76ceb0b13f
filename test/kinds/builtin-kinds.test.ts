import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTask } from "../../src/config/define-task.js";
import { Partial } from "../../src/config/partial.js";
import { PythonPartial } from "../../src/config/python/python-partial.js";
import { PythonTask } from "../../src/config/python/python-task.js";
import { Script } from "../../src/config/script.js";
import { DirectExecutor } from "../../src/executors/direct/direct-executor.js";
import { LocalExecutor } from "../../src/executors/local/local-executor.js";
import { GitArchivePackager } from "../../src/executors/packaging/git-archive-packager.js";
import { PatternPackager } from "../../src/executors/packaging/pattern-packager.js";
import { SlurmExecutor } from "../../src/executors/slurm/slurm-executor.js";
import { LocalTunnel } from "../../src/executors/tunnel/local-tunnel.js";
import { SSHTunnel } from "../../src/executors/tunnel/ssh-tunnel.js";
import { ensureBuilt, repoRoot } from "../helpers.js";

// Built-in kinds resolve from a static table: a process that reopens job.json (the supervisor, `labrun
// experiment …`) needs no import for its side effects. Each case runs in a fresh Node process that loads
// only the resolver modules of the built package, never its public index.

const dist = join(repoRoot, "dist");

function resolveInFreshProcess(configs: { tasks: unknown[]; executors: unknown[] }): {
  tasks: unknown[];
  executors: unknown[];
  builtins: Record<string, string[]>;
  unknown: { name: string; code: string };
} {
  const script = `
    import { readFileSync } from "node:fs";
    const { taskFromConfig, builtinTaskKinds } = await import(${JSON.stringify(join(dist, "config/task-kinds.js"))});
    const { executorFromConfig, builtinExecutorKinds } = await import(${JSON.stringify(join(dist, "executors/executor-kinds.js"))});
    const { builtinPackagerKinds } = await import(${JSON.stringify(join(dist, "executors/packaging/packager-kinds.js"))});
    const { builtinTunnelKinds } = await import(${JSON.stringify(join(dist, "executors/tunnel/tunnel-kinds.js"))});
    const input = JSON.parse(readFileSync(0, "utf8"));
    let unknown;
    try { taskFromConfig({ kind: "no-such-kind" }); } catch (error) { unknown = { name: error.name, code: error.code }; }
    process.stdout.write(JSON.stringify({
      tasks: input.tasks.map((config) => taskFromConfig(config).toConfig()),
      executors: input.executors.map((config) => executorFromConfig(config).toConfig()),
      builtins: { tasks: builtinTaskKinds, executors: builtinExecutorKinds, packagers: builtinPackagerKinds, tunnels: builtinTunnelKinds },
      unknown,
    }));
  `;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    input: JSON.stringify(configs),
    encoding: "utf8",
  });
  expect(child.stderr).toBe("");
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout) as ReturnType<typeof resolveInFreshProcess>;
}

describe("built-in kinds", () => {
  beforeAll(() => ensureBuilt());

  it("a fresh process rebuilds every built-in task, executor, packager and tunnel kind from its config", () => {
    const Typed = defineTask("kinds-typed", {
      params: z.object({ n: z.number() }),
      command: (p) => ["echo", String(p.n)],
    });
    const tasks = [
      Typed({ n: 3 }),
      new Script({ inline: "echo hi", name: "hello" }),
      new Partial({ module: "./steps.js", fn: "train", args: [1, "a"] }),
      new PythonTask({ taskId: "pkg.Train", qualname: "Train", module: "pkg", params: { lr: 0.1 } }),
      new PythonPartial({ file: "sweep.py", function: "train", kwargs: { lr: 0.1 } }),
    ].map((task) => JSON.parse(JSON.stringify(task.toConfig())) as unknown);
    const executors = [
      new LocalExecutor({ maxParallel: 2 }),
      new DirectExecutor({}),
      new SlurmExecutor({
        partition: "debug",
        tunnel: new LocalTunnel(),
        packager: new PatternPackager({ include: ["*.py"] }),
      }),
      new SlurmExecutor({
        tunnel: new SSHTunnel({ host: "cluster", jobDir: "/scratch/jobs" }),
        packager: new GitArchivePackager({ ref: "HEAD" }),
      }),
    ].map((executor) => JSON.parse(JSON.stringify(executor.toConfig())) as unknown);

    const resolved = resolveInFreshProcess({ tasks, executors });

    expect(resolved.tasks).toEqual(tasks);
    expect(resolved.executors).toEqual(executors);
    expect(resolved.builtins).toEqual({
      tasks: ["typed", "script", "partial", "python-task", "python-partial"],
      executors: ["local", "direct", "slurm"],
      packagers: ["git-archive", "pattern"],
      tunnels: ["local", "ssh"],
    });
    expect(resolved.unknown).toEqual({ name: "UnknownKindError", code: "UNKNOWN_KIND" });
  });
});
