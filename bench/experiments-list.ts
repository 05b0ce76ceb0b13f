// How fast `labrun experiments list` is on a big workspace, with and without the index
// (`npm run build && node --import tsx bench/experiments-list.ts`; EXPERIMENTS=10000 JOBS=10 REPS=5 by default).
//
// It writes EXPERIMENTS experiment folders (as drivers leave them: experiment.json + one job.json per job,
// 5 % of the experiments still running) into a temporary workspace, then times the real CLI (`node
// bin/labrun.js`, Node's start-up included) and the library calls alone:
//   - `labrun experiment list`: the older command, which reads every experiment.json and job.json;
//   - `labrun experiments list` with no index yet (it builds index.sqlite), then with the index up to date,
//     with a filter, and after one job file changed; `labrun experiments resync` (reads everything again);
//   - listFromFiles (no index) against listExperiments (index) in this process.
// Each timed command runs REPS times; the median and the min–max are printed.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listExperiments, listFromFiles } from "../src/experiment/experiment-index.js";
import type { JobState } from "../src/workspace/job-record.js";
import { Workspace } from "../src/workspace/workspace.js";
import { setJobState, writeFakeExperiment } from "../test/index/fake-workspace.js";

const EXPERIMENTS = Number(process.env.EXPERIMENTS ?? 10_000);
const JOBS = Number(process.env.JOBS ?? 10);
const REPS = Number(process.env.REPS ?? 5);
const TITLES = 100;
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const bin = join(repoRoot, "bin", "labrun.js");

const root = mkdtempSync(join(tmpdir(), "labrun-bench-list-"));
const workspace = new Workspace(root);
try {
  let started = performance.now();
  const runningJobs: string[] = [];
  for (let i = 0; i < EXPERIMENTS; i++) {
    const running = i % 20 === 0;
    const states: JobState[] = Array.from({ length: JOBS }, (_, j) =>
      running && j >= JOBS / 2
        ? j === JOBS / 2
          ? "RUNNING"
          : "PENDING"
        : j % 17 === 3
          ? "FAILED"
          : "COMPLETED",
    );
    const { jobDirs } = writeFakeExperiment(root, {
      title: `title-${i % TITLES}`,
      id: `title-${i % TITLES}_${String(i).padStart(6, "0")}`,
      host: `node-${i % 8}`,
      createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      jobs: states,
      finished: !running,
    });
    if (running) runningJobs.push(jobDirs[JOBS / 2]!);
  }
  console.log(
    `workspace: ${EXPERIMENTS} experiments × ${JOBS} jobs (${runningJobs.length} running) written in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s, ${root}`,
  );

  const cli =
    (...args: string[]) =>
    () =>
      execFileSync(process.execPath, [bin, ...args, "--workspace", root], { maxBuffer: 1 << 28 }).length;
  const rows: [string, number[]][] = [];
  const time = (label: string, fn: () => unknown, reps = REPS, before?: () => void) => {
    const samples: number[] = [];
    for (let r = 0; r < reps; r++) {
      before?.();
      started = performance.now();
      fn();
      samples.push(performance.now() - started);
    }
    rows.push([label, samples]);
    console.log(`${label}: ${summary(samples)}`);
  };
  const dropIndex = () => rmSync(join(root, "index.sqlite"), { force: true });

  time("CLI `labrun --version` (Node start-up and imports, for reference)", cli("--version"));
  time("CLI `labrun experiment list` (files only, older command)", cli("experiment", "list"), 3);
  time("CLI `labrun experiments list`, no index yet (builds it)", cli("experiments", "list"), 3, dropIndex);
  time("CLI `labrun experiments list`, index up to date", cli("experiments", "list"));
  time(
    "CLI `labrun experiments list --host node-3`, index up to date",
    cli("experiments", "list", "--host", "node-3"),
  );
  let flip = 0;
  time("CLI `labrun experiments list` after one job file changed", cli("experiments", "list"), REPS, () =>
    setJobState(root, runningJobs[0]!, flip++ % 2 ? "RUNNING" : "COMPLETED"),
  );
  time("CLI `labrun experiments resync`", cli("experiments", "resync"), 3);
  time("in process: listFromFiles (no index)", () => listFromFiles(workspace), 3);
  time("in process: listExperiments (index up to date)", () => listExperiments(workspace));

  console.log(
    `\n| ${EXPERIMENTS} experiments × ${JOBS} jobs | median ms | min–max ms |\n| --- | ---: | ---: |`,
  );
  for (const [label, samples] of rows) {
    const sorted = [...samples].sort((a, b) => a - b);
    console.log(
      `| ${label} | ${median(samples).toFixed(0)} | ${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)} |`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summary(samples: readonly number[]): string {
  return `median ${median(samples).toFixed(0)} ms (${samples.map((s) => s.toFixed(0)).join(", ")})`;
}
