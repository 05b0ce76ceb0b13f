import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Run } from "../../src/index.js";
import { ensureBuilt, runCli, tempWorkspace } from "../helpers.js";

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("track-cli");
});
afterEach(() => ws.cleanup());

const cli = (...args: string[]) => runCli(args, { workspace: ws.root });

describe("labrun log and labrun runs", () => {
  it("track a run from the command line and read it back as tables, CSV and JSON", () => {
    const prefix = ["--prefix", "alice/vision/cli-run"];
    expect(cli("log", "param", "lr=0.001", "model.depth=50", "name=resnet", ...prefix).code).toBe(0);
    expect(cli("log", "metric", "train", "loss=0.5", "step=1", ...prefix).code).toBe(0);
    expect(cli("log", "metric", "train", "loss=NaN", "step=2", ...prefix).code).toBe(0);
    expect(cli("log", "msg", "--level", "warn", "loss", "is", "NaN", ...prefix).code).toBe(0);
    const file = join(ws.root, "notes.txt");
    writeFileSync(file, "hello");
    const stored = cli("log", "file", "notes", file, ...prefix);
    expect(stored.stdout.trim()).toMatch(/runs\/alice\/vision\/cli-run\/files\/notes\/\d+\/notes\.txt$/);

    const run = Run.open("alice/vision/cli-run", { root: join(ws.root, "runs") });
    expect(run.params.get()).toEqual({ lr: 0.001, "model.depth": 50, name: "resnet" });
    const csv = cli("runs", "metrics", "alice/vision/cli-run", "train", "--csv").stdout.trim().split("\n");
    expect(csv[0]).toBe("index,loss,step,_ts");
    expect(csv.slice(1).map((line) => line.split(",").slice(0, 3).join(","))).toEqual(["0,0.5,1", "1,NaN,2"]);
    const shown = JSON.parse(cli("runs", "show", "alice/vision/cli-run", "--json").stdout);
    expect(shown).toMatchObject({
      prefix: "alice/vision/cli-run",
      params: { lr: 0.001 },
      files: [{ filename: "notes.txt" }],
    });
    expect(shown.metrics[0]).toMatchObject({
      name: "train",
      totalDataPoints: 2,
      last: { loss: "NaN", step: 2 },
    });
    const list = JSON.parse(cli("runs", "list", "--prefix", "alice", "--json").stdout) as {
      prefix: string;
    }[];
    expect(list.map((r) => r.prefix)).toEqual(["alice/vision/cli-run"]);
    expect(cli("runs", "list").stdout).toMatch(/alice\/vision\/cli-run/);
  });

  it("a launched job logs into its own run with `labrun log`; status and `runs` show it", () => {
    const launched = runCli(
      ["run", join(import.meta.dirname, "..", "fixtures", "experiments", "log-from-shell.ts")],
      {
        workspace: ws.root,
      },
    );
    expect(launched.code).toBe(0);
    const id = /labrun experiment status (\S+)/.exec(launched.stderr)![1]!;
    const status = JSON.parse(cli("experiment", "status", id, "--json").stdout) as {
      jobs: { metrics: Record<string, number>; directory: string }[];
    };
    expect(status.jobs[0]!.metrics).toMatchObject({ "train.step": 3 });
    expect(cli("experiment", "status", id).stdout).toMatch(/train\.loss=\S+ train\.step=3/);
    const runs = JSON.parse(cli("runs", "list", "--json").stdout) as { prefix: string; status: string }[];
    const jobRun = runs.find((run) => run.prefix.endsWith(`/shell-tracked/${id}/shell`))!;
    expect(jobRun.status).toBe("COMPLETED");
    const shown = JSON.parse(cli("runs", "show", jobRun.prefix, "--json").stdout);
    expect(shown.params).toMatchObject({ lr: 0.01, "model.depth": 18, "job.name": "shell" });
  });

  it("answers bad input with a typed one-line error and writes nothing", () => {
    const bad = cli("log", "metric", "train", "loss", "--prefix", "alice/vision/x");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("[USAGE]");
    const escaping = cli("log", "metric", "train", "loss=1", "--prefix", "../../etc/x");
    expect(escaping.code).toBe(1);
    expect(escaping.stderr).toContain("[INVALID_PREFIX]");
    const nowhere = cli("log", "msg", "hello");
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/Pass --prefix/);
    expect(cli("runs", "show", "alice/none/here").stderr).toContain("[RUN_NOT_FOUND]");
    expect(JSON.parse(cli("runs", "list", "--json").stdout)).toEqual([]);
  });
});
