// How quickly `labrun monitor` answers on a big workspace, read through a real terminal (tmux), as a user sees it
// (`npm run build && node --import tsx bench/monitor.ts`; EXPERIMENTS=10000 JOBS=10 LINES=1000000 REPS=3).
//
// The workspace holds EXPERIMENTS experiment folders of JOBS jobs each (as drivers leave them, 5 % still
// running) and, newest, one experiment whose single job wrote LINES lines of output. Timed, from the moment
// the key is sent (or the command started) until the screen shows the answer:
//   - start → the experiments list drawn (index up to date, as after any `labrun experiments list`);
//   - j → the selection on the next row (input latency while the list is kept live);
//   - Enter → the experiment's jobs; Enter → the last line of the job's LINES-line output.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import type { JobState } from "../src/workspace/job-record.js";
import { writeFakeExperiment } from "../test/index/fake-workspace.js";
import { TmuxSession } from "../test/monitor/tmux.js";

const EXPERIMENTS = Number(process.env.EXPERIMENTS ?? 10_000);
const JOBS = Number(process.env.JOBS ?? 10);
const LINES = Number(process.env.LINES ?? 1_000_000);
const REPS = Number(process.env.REPS ?? 3);
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const bin = join(repoRoot, "bin", "labrun.js");

const root = mkdtempSync(join(tmpdir(), "labrun-bench-monitor-"));
const results: Record<string, number[]> = {};
const record = (what: string, ms: number) => (results[what] ??= []).push(ms);

async function timeUntil(session: TmuxSession, done: (screen: string) => boolean, timeoutMs = 120_000) {
  const started = performance.now();
  await session.waitForScreen(done, timeoutMs, 10);
  return performance.now() - started;
}

try {
  for (let i = 0; i < EXPERIMENTS; i++) {
    const running = i % 20 === 0;
    const states: JobState[] = Array.from({ length: JOBS }, (_, j) =>
      running && j >= JOBS / 2 ? "PENDING" : j % 17 === 3 ? "FAILED" : "COMPLETED",
    );
    writeFakeExperiment(root, {
      title: `title-${i % 100}`,
      id: `title-${i % 100}_${String(i).padStart(6, "0")}`,
      createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      jobs: states,
      finished: !running,
    });
  }
  const { jobDirs } = writeFakeExperiment(root, {
    title: "big-log",
    id: "big-log_20270101-000000",
    createdAt: new Date(Date.UTC(2027, 0, 1)).toISOString(),
    jobs: ["COMPLETED"],
    finished: true,
  });
  const lines = Array.from({ length: LINES }, (_, i) => `step ${i + 1} loss=${(1 / (i + 1)).toFixed(6)}`);
  writeFileSync(join(root, jobDirs[0]!, "stdout.log"), `${lines.join("\n")}\n`);
  execFileSync(process.execPath, [bin, "experiments", "resync"], {
    env: { ...process.env, LABRUN_HOME: root },
  });
  const total = EXPERIMENTS + 1;

  for (let rep = 0; rep < REPS; rep++) {
    const started = performance.now();
    const session = TmuxSession.start([process.execPath, bin, "monitor"], {
      width: 120,
      height: 40,
      cwd: repoRoot,
      env: { LABRUN_HOME: root, NO_COLOR: "1" },
    });
    try {
      await session.waitForScreen(
        (s) => s.includes(`Experiments (${total})`) && s.includes("› big-log"),
        120_000,
      );
      record("start → list drawn", performance.now() - started);
      for (let k = 0; k < 5; k++) {
        const expected = `› title-${(EXPERIMENTS - 1 - k) % 100} `;
        session.send("j");
        record("j → selection moved", await timeUntil(session, (s) => s.includes(expected)));
      }
      session.send("g");
      await session.waitForScreen((s) => s.includes("› big-log"));
      session.send("Enter");
      record("Enter → jobs drawn", await timeUntil(session, (s) => /step-0\s+COMPLETED/.test(s)));
      session.send("Enter");
      record(
        `Enter → last of ${LINES} output lines drawn`,
        await timeUntil(session, (s) => s.includes(`step ${LINES} loss=`)),
      );
      session.send("q");
      await session.waitForExit(60_000);
    } finally {
      session.close();
    }
  }

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `labrun monitor, ${EXPERIMENTS} experiments × ${JOBS} jobs + one job with ${LINES} output lines; ` +
      `${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
  );
  for (const [what, values] of Object.entries(results))
    console.log(
      `${what.padEnd(44)} median ${(median(values) / 1000).toFixed(2)} s  (min ${(Math.min(...values) / 1000).toFixed(2)}, max ${(Math.max(...values) / 1000).toFixed(2)}, n=${values.length})`,
    );
} finally {
  rmSync(root, { recursive: true, force: true });
}
