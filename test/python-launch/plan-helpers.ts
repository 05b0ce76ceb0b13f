import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, startCli } from "../helpers.js";
import type { CliResult } from "../helpers.js";

/** A Python module for plans' jobs: plain functions and a task class, standard library only. */
export const stepsPy = `
import json, os, subprocess, sys, time

def train(lr, epochs=2, fail=False):
    print(f"train lr={lr} epochs={epochs}", flush=True)
    if fail:
        raise ValueError("asked to fail")
    # the CLI that launched this job is on PATH and in LABRUN_CLI
    out = subprocess.run(["labrun", "--version"], capture_output=True, text=True)
    return {"lr": lr, "loss": round(1 / (1 + epochs * lr), 6), "labrun": out.stdout.strip(), "cli": os.environ.get("LABRUN_CLI")}

def slow(seconds):
    print("slow started", flush=True)
    time.sleep(seconds)
    print("slow ended", flush=True)

class Prepare:
    def __init__(self, n, verbose=False):
        self.n, self.verbose = n, verbose
    def execute(self):
        with open(os.path.join(os.environ["LABRUN_JOB_DIR"], "data.txt"), "w") as f:
            f.write("\\n".join(str(i) for i in range(self.n)) + "\\n")

class Count:
    def __init__(self, data, whole):
        self.data, self.whole = data, whole
    def execute(self):
        with open(self.data) as f:
            rows = len(f.read().split())
        print(f"rows={rows} whole_is_dir={os.path.isdir(self.whole)}", flush=True)
        return {"rows": rows}
`;

/** A folder with steps.py, for plans whose `cwd` it is. */
export function projectDir(root: string): string {
  const dir = join(root, "project");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "steps.py"), stepsPy);
  return dir;
}

export interface PlanRunResult extends CliResult {
  readonly events: Record<string, unknown>[];
}

let counter = 0;

/** The workspace of a test's scratch folder. */
export const workspaceIn = (root: string) => join(root, "ws");

/** Runs `labrun plan run FILE --events FILE` to completion (workspace `<root>/ws`) and returns its events. */
export function runPlan(plan: unknown, root: string, extraArgs: readonly string[] = []): PlanRunResult {
  const { planFile, eventsFile } = writePlan(plan, root);
  const result = runCli(["plan", "run", planFile, "--events", eventsFile, ...extraArgs], {
    workspace: workspaceIn(root),
  });
  return { ...result, events: readEvents(eventsFile) };
}

/** Starts `labrun plan run` in the background. */
export function startPlan(plan: unknown, root: string) {
  const { planFile, eventsFile } = writePlan(plan, root);
  const run = startCli(["plan", "run", planFile, "--events", eventsFile], { workspace: workspaceIn(root) });
  return { ...run, events: () => readEvents(eventsFile) };
}

function writePlan(plan: unknown, root: string): { planFile: string; eventsFile: string } {
  const planFile = join(root, `plan-${++counter}.json`);
  writeFileSync(planFile, typeof plan === "string" ? plan : JSON.stringify(plan));
  return { planFile, eventsFile: `${planFile}.events.jsonl` };
}

export function readEvents(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function eventOf(events: readonly Record<string, unknown>[], kind: string): Record<string, unknown> {
  const found = events.find((event) => event.event === kind);
  if (!found) throw new Error(`no ${kind} event in ${JSON.stringify(events)}`);
  return found;
}
