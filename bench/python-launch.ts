// Python launch benchmark (`npm run bench:python`, also in `npm run bench`).
//
// A fan-out/fan-in DAG of Python `Partial` jobs planned in Python — prep → N−2 parallel steps → merge, the
// functions of bench/python/launch_jobs.py — run by:
//   - labrun: `import labrun as run; run.Experiment / run.Partial / run.LocalExecutor()` (bench/python/labrun_partial.py),
//     N = 1000, REPS rounds;
//   - NeMo-Run 0.11.1: `nemo_run.Partial` on its `LocalExecutor` (bench/peers/nemo_run_partial.py), N = NEMO_JOBS
//     (100 by default: each of its jobs is a Python process that imports nemo_run, ~2.4 s of CPU, so 1000 jobs
//     would hold this 2-core machine for ~20 minutes and start up to 998 such processes at once).
// Each side measures, in the same process and right after its DAG, the bare floor: N spawns of the same interpreter
// calling `launch_jobs.step(i)` (`subprocess.run`), sequentially and 2 at a time. Both sides use the interpreter of
// the pinned venv .venv-nemo-run/ (made by bench/peers/ensure-nemo-run-venv.mjs), so the jobs start the same Python.
// Per-job overhead = (DAG wall − bare wall) / N. CPU per job = CPU time of the whole process tree (planner, engine,
// jobs) / N, less load-sensitive than wall time on a shared machine.
// The table goes to stdout and to the "python-launch" section of bench/RESULTS.md (the rest of the file is kept).
// `--quick`: N = 50 and 5, one round, nothing written (a smoke test of this script). The raw samples of a full run
// are kept in bench/python/python-launch-samples.json; `--report` renders them again without measuring, and
// `--keep-peer` measures labrun again but keeps NeMo-Run's samples from that file.

import { spawnSync } from "node:child_process";
import { readFileSync, statfsSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatWithPrettier, writeResultsSection } from "./results-file.js";
import { childrenCpuMs, machineBusyMs } from "./machine-load.js";
import { stat, type Stat } from "./stats.js";

const QUICK = process.argv.includes("--quick");
// `--report`: render the last run's samples (bench/python/python-launch-samples.json) again, measuring nothing,
// into bench/RESULTS.md. (LABRUN_BENCH_REPORT=1, as `npm run bench:report` sets, measures and writes.)
const REPORT_ONLY = process.argv.includes("--report");
const KEEP_PEER = process.argv.includes("--keep-peer");
const JOBS = QUICK ? 50 : 1000;
const REPS = QUICK ? 1 : 3;
const NEMO_JOBS = QUICK ? 5 : Number(process.env.NEMO_JOBS ?? 100);
const NEMO_REPS = QUICK ? 1 : Number(process.env.NEMO_REPS ?? 1);
const GOAL_WALL_S = 15;
const GOAL_RATIO = 10;

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const repo = join(benchDir, "..");
const resultsFile = join(benchDir, "RESULTS.md");
const venvPython = join(repo, ".venv-nemo-run", "bin", "python");
const samplesFile = join(benchDir, "python", "python-launch-samples.json");

/** What one side's script prints (one JSON line). */
interface Side {
  readonly jobs: number;
  readonly total_s: number;
  readonly add_s: number;
  /** labrun only: from `Experiment(...)` until the first job (prep) started, s. */
  readonly first_job_started_s?: number | null;
  readonly import_s: number;
  readonly cpu_s: number;
  /** labrun only: CPU of the planning Python process itself, and of the engine (`labrun plan run`) itself, s. */
  readonly planner_cpu_s?: number;
  readonly engine_cpu_s?: number | null;
  readonly bare_seq_s: number;
  readonly bare_seq_cpu_s: number;
  readonly bare_par_s: number;
  readonly bare_parallel: number;
  readonly job_states: Record<string, number>;
  readonly ok: boolean;
  readonly error: string | null;
  readonly version?: string | null;
  readonly python?: string;
}

interface Sample extends Side {
  /** CPU the rest of the machine used while the script ran, as a share of all CPUs, %. */
  readonly otherLoad: number;
  /** The machine's 1-minute load average when the script started and when it ended. */
  readonly loadAvg?: readonly [number, number];
  readonly wallScript: number;
}

function runSide(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Sample {
  const load0 = loadavg()[0]!;
  const busy0 = machineBusyMs();
  const own0 = childrenCpuMs();
  const t0 = performance.now();
  const child = spawnSync(venvPython, [script, ...args], {
    cwd: repo,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
  });
  const wallScript = performance.now() - t0;
  const foreign = machineBusyMs() - busy0 - (childrenCpuMs() - own0);
  const line = child.stdout.trim().split("\n").pop() ?? "";
  let side: Side;
  try {
    side = JSON.parse(line) as Side;
  } catch {
    throw new Error(`${script} printed no result (exit ${child.status}):\n${child.stderr.slice(-3000)}`);
  }
  if (!side.ok) process.stderr.write(`${script}: not ok: ${side.error}\n${child.stderr.slice(-2000)}\n`);
  return {
    ...side,
    wallScript,
    otherLoad: Math.max(0, (100 * foreign) / (wallScript * cpus().length)),
    loadAvg: [load0, loadavg()[0]!],
  };
}

function labrunSide(): Sample {
  return runSide(join(benchDir, "python", "labrun_partial.py"), [String(JOBS)], {
    ...process.env,
    // The client finds the engine through LABRUN_CLI; the shipped client is imported from the checkout.
    LABRUN_CLI: join(repo, "bin", "labrun.js"),
    PYTHONPATH: join(repo, "clients", "python"),
    // The engine reports its own CPU time at exit (bench/python/engine-cpu-hook.mjs).
    NODE_OPTIONS: `--import ${pathToFileURL(join(benchDir, "python", "engine-cpu-hook.mjs")).href}`,
  });
}

function nemoSide(): Sample {
  return runSide(join(benchDir, "peers", "nemo_run_partial.py"), [String(NEMO_JOBS)], {
    ...process.env,
    // NeMo-Run starts each job as `python -m nemo_run.core.runners.fdl_runner`, with the `python` on PATH.
    PATH: `${join(repo, ".venv-nemo-run", "bin")}:${process.env.PATH ?? ""}`,
  });
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "—");
const fmtStat = (s: Stat, digits = 2) =>
  !Number.isFinite(s.median)
    ? "—"
    : s.min === s.max
      ? fmt(s.median, digits)
      : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

/** The figures of one side, over its successful runs. */
function figures(samples: readonly Sample[]) {
  const ok = samples.filter((s) => s.ok);
  const per = (f: (s: Sample) => number) => stat(ok.map(f));
  return {
    ok: `${ok.length}/${samples.length}`,
    jobs: samples[0]?.jobs ?? NaN,
    add: per((s) => s.add_s * 1000),
    firstJob: stat(
      ok.flatMap((s) => (typeof s.first_job_started_s === "number" ? [s.first_job_started_s * 1000] : [])),
    ),
    wall: per((s) => s.total_s),
    perJob: per((s) => (s.total_s * 1000) / s.jobs),
    bareSeq: per((s) => (s.bare_seq_s * 1000) / s.jobs),
    barePar: per((s) => (s.bare_par_s * 1000) / s.jobs),
    overSeq: per((s) => ((s.total_s - s.bare_seq_s) * 1000) / s.jobs),
    overPar: per((s) => ((s.total_s - s.bare_par_s) * 1000) / s.jobs),
    cpu: per((s) => (s.cpu_s * 1000) / s.jobs),
    plannerCpu: per((s) => ((s.planner_cpu_s ?? NaN) * 1000) / s.jobs),
    engineCpu: per((s) => ((s.engine_cpu_s ?? NaN) * 1000) / s.jobs),
    jobsCpu: per((s) => ((s.cpu_s - (s.planner_cpu_s ?? NaN) - (s.engine_cpu_s ?? NaN)) * 1000) / s.jobs),
    bareCpu: per((s) => (s.bare_seq_cpu_s * 1000) / s.jobs),
    cpuOver: per((s) => ((s.cpu_s - s.bare_seq_cpu_s) * 1000) / s.jobs),
    load: stat(samples.map((s) => s.otherLoad)),
    errors: [...new Set(samples.filter((s) => !s.ok).map((s) => s.error ?? JSON.stringify(s.job_states)))],
    version: samples[0]?.version ?? "",
    python: samples[0]?.python ?? "",
  };
}

interface Samples {
  readonly labrun: Sample[];
  readonly nemo: Sample[];
  readonly benchSeconds: number;
  readonly measuredAt: string;
  /** Where labrun's workspaces were (TMPDIR) and on what file system: creating a file on this VM's /tmp costs 20× more. */
  readonly workspace?: string;
}

/** Runs both sides and keeps the raw samples beside this script (`--report` renders them again). */
function measure(): Samples {
  const setup = spawnSync(process.execPath, [join(benchDir, "peers", "ensure-nemo-run-venv.mjs")], {
    stdio: "inherit",
  });
  if (setup.status !== 0) process.exit(1);
  const started = Date.now();
  const labrun: Sample[] = [];
  const nemo: Sample[] = [];
  for (let round = 1; round <= REPS; round++) {
    const s = labrunSide();
    labrun.push(s);
    process.stderr.write(
      `round ${round}/${REPS}  labrun ${JOBS}-job Partial DAG: ${fmt(s.total_s, 2)} s, bare ${fmt(s.bare_par_s, 2)} s (other load ${fmt(s.otherLoad, 0)} %)\n`,
    );
  }
  // `--keep-peer`: NeMo-Run's samples of the last full run are kept (it takes minutes and does not change with labrun).
  if (KEEP_PEER) nemo.push(...readSamples().nemo);
  for (let round = 1; round <= (KEEP_PEER ? 0 : NEMO_REPS); round++) {
    const s = nemoSide();
    nemo.push(s);
    process.stderr.write(
      `round ${round}/${NEMO_REPS}  NeMo-Run ${NEMO_JOBS}-job Partial DAG: ${fmt(s.total_s, 2)} s, bare ${fmt(s.bare_par_s, 2)} s (other load ${fmt(s.otherLoad, 0)} %)\n`,
    );
  }
  const samples = {
    labrun,
    nemo,
    benchSeconds: (Date.now() - started) / 1000,
    measuredAt: new Date().toISOString(),
    workspace: workspaceFs(),
  };
  if (!QUICK) {
    writeFileSync(samplesFile, `${JSON.stringify(samples, null, 1)}\n`);
    formatWithPrettier(samplesFile);
  }
  return samples;
}

/** TMPDIR (where labrun_partial.py makes its workspace) and its file system type. */
function workspaceFs(): string {
  const type = statfsSync(tmpdir()).type;
  const name = type === 0x01021994 ? "tmpfs" : type === 0xef53 ? "ext4" : `fs type 0x${type.toString(16)}`;
  return `${tmpdir()} (${name})`;
}

/** Each run's 1-minute load average at its start and end (`2.1→3.4`), or — when not recorded. */
function loadAverages(samples: readonly Sample[]): string {
  const pairs = samples.flatMap((s) => (s.loadAvg ? [s.loadAvg] : []));
  return pairs.length === 0 ? "—" : pairs.map(([a, b]) => `${fmt(a, 1)}→${fmt(b, 1)}`).join(", ");
}

function readSamples(): Samples {
  return JSON.parse(readFileSync(samplesFile, "utf8")) as Samples;
}

function main(): void {
  const { labrun, nemo, benchSeconds, measuredAt, workspace } = REPORT_ONLY ? readSamples() : measure();
  const l = figures(labrun);
  const n = figures(nemo);
  const parallel = labrun[0]?.bare_parallel ?? 2;

  const rows = [
    `| figure | labrun ${l.version} (\`labrun.Partial\`, LocalExecutor, max_parallel = CPUs) | NeMo-Run ${n.version} (\`nemo_run.Partial\`, LocalExecutor, 16 launch threads) |`,
    "| --- | ---: | ---: |",
    `| jobs in the DAG (prep → N−2 steps → merge) | ${l.jobs} | ${n.jobs} |`,
    `| runs that completed (every job succeeded) | ${l.ok} | ${n.ok} |`,
    `| planning: the \`add()\` calls, ms | ${fmtStat(l.add, 0)} | ${fmtStat(n.add, 0)} |`,
    `| from \`Experiment(...)\` to the first job started (plan built, handed over, validated, launched), ms | ${fmtStat(l.firstJob, 0)} | ${fmtStat(n.firstJob, 0)} |`,
    `| **wall time of the DAG, s** (\`Experiment(...)\` → end of the \`with\` block) | **${fmtStat(l.wall)}** | **${fmtStat(n.wall)}** |`,
    `| wall per job, ms | ${fmtStat(l.perJob)} | ${fmtStat(n.perJob)} |`,
    `| bare spawn of the same interpreter, ms/job: sequential | ${fmtStat(l.bareSeq)} | ${fmtStat(n.bareSeq)} |`,
    `| bare spawn, ms/job: ${parallel} at a time | ${fmtStat(l.barePar)} | ${fmtStat(n.barePar)} |`,
    `| **per-job overhead over bare sequential spawn, ms** | **${fmtStat(l.overSeq)}** | **${fmtStat(n.overSeq)}** |`,
    `| per-job overhead over bare spawn ${parallel} at a time, ms | ${fmtStat(l.overPar)} | ${fmtStat(n.overPar)} |`,
    `| CPU per job, whole process tree (planner, engine, jobs), ms | ${fmtStat(l.cpu, 1)} | ${fmtStat(n.cpu, 1)} |`,
    `| of which: the planning Python process / the engine (Node) / the jobs (sh wrapper + Python), ms | ${fmtStat(l.plannerCpu, 1)} / ${fmtStat(l.engineCpu, 1)} / ${fmtStat(l.jobsCpu, 1)} | — |`,
    `| CPU per bare spawn, ms | ${fmtStat(l.bareCpu, 1)} | ${fmtStat(n.bareCpu, 1)} |`,
    `| **CPU overhead per job over a bare spawn, ms** | **${fmtStat(l.cpuOver, 1)}** | **${fmtStat(n.cpuOver, 1)}** |`,
    `| other load while it ran, % of the machine (max) | ${fmt(l.load.max, 0)} | ${fmt(n.load.max, 0)} |`,
    `| load average (1 min) at the start → end of a run | ${loadAverages(labrun)} | ${loadAverages(nemo)} |`,
    `| failures seen | ${l.errors.join("; ") || "none"} | ${n.errors.join("; ") || "none"} |`,
  ];
  // Wall-time overheads are differences of two noisy figures on a shared machine (they can come out negative): the
  // ratio is judged on CPU overhead, and the wall ratio is shown only when both overheads are positive.
  const ratioCpu = n.cpuOver.median / l.cpuOver.median;
  const ratioWall =
    l.overSeq.median > 0 && n.overSeq.median > 0
      ? `${fmt(n.overSeq.median / l.overSeq.median, 0)}×`
      : "not meaningful (labrun's wall overhead within the noise)";
  const cores = cpus().length;
  // What the DAG's CPU time allows at best on this many idle cores: a floor for a quiet machine.
  const floor = stat(labrun.filter((s) => s.ok).map((s) => s.cpu_s / cores));
  const wallMet = Number(fmt(l.wall.median)) < GOAL_WALL_S;
  const ratioMet = Number(fmt(ratioCpu, 1)) >= GOAL_RATIO;
  const goal = [
    "| goal | measured | met |",
    "| --- | ---: | :---: |",
    `| ${l.jobs}-job DAG under ${GOAL_WALL_S} s | ${fmt(l.wall.median)} s (median); CPU-bound floor on ${cores} idle cores (whole tree's CPU time / ${cores}): ${fmt(floor.median, 1)} s | ${wallMet ? "yes" : "**no**"} |`,
    `| ≥ ${GOAL_RATIO}× less overhead per job than NeMo-Run | ${fmt(ratioCpu, 0)}× (CPU overhead over a bare spawn); wall, over bare sequential: ${ratioWall} | ${ratioMet ? "yes" : "**no**"} |`,
  ];
  const busiest = Math.max(l.load.max, n.load.max);
  const loadNote =
    `Other processes used up to ${fmt(busiest, 0)} % of the machine's CPU while a side ran` +
    (busiest >= 5
      ? ": **the machine was shared, so wall times are inflated and noisy** (the CPU figures much less so); re-run on a quiet machine for the real ones."
      : " (a quiet machine).");
  const cpuList = cpus();
  const md = [
    "# Python launch: a DAG of `Partial` jobs planned in Python",
    "",
    "Generated by `npm run bench:python` (bench/python-launch.ts with bench/python/ and bench/peers/nemo_run_partial.py; also part of `npm run bench`); this section is replaced by a run with `--report` (`npm run bench:report`) — do not edit by hand.",
    "",
    `Date: ${measuredAt} · labrun ${labrun.length} rounds, NeMo-Run ${nemo.length}; median and min–max over the runs that completed · bench took ${fmt(benchSeconds, 0)} s.`,
    "",
    "## Machine",
    "",
    `- CPU: ${cpuList[0]?.model ?? "unknown"} × ${cpuList.length}; memory ${fmt(totalmem() / 2 ** 30, 1)} GiB; ${osType()} ${release()}`,
    `- Node ${process.version}; Python ${l.python || n.python} from the pinned venv .venv-nemo-run/ for both sides (planner and jobs): nemo_run 0.11.1, leptonai 0.27.3, torchx 0.7.0`,
    `- labrun's workspaces under ${workspace ?? "the default TMPDIR (not recorded)"}; on this VM, creating a file under /tmp costs about 0.6 ms of CPU against 0.03 ms in a fresh folder of the same disk or on tmpfs, and labrun creates about a dozen small files per job (bench/RESULTS.md, launch section).`,
    "",
    "## What runs",
    "",
    `- **The DAG**: \`prep(n)\` → N−2 × \`step(i)\` (each depends on prep) → \`merge(n)\` (depends on every step), functions of bench/python/launch_jobs.py that return at once, so the time is the launcher's. labrun: \`with run.Experiment(title, executor=run.LocalExecutor(), base_dir=<temp>, clean_mode=True) as exp: exp.add(run.Partial(step, i=i), name=…, dependencies=[prep]) …; exp.run()\`; the engine (\`bin/labrun.js\`, found through \`LABRUN_CLI\`) runs every job as \`python -c "…from labrun._job_runner import main…" call.json\` in its own process (under its POSIX sh wrapper). NeMo-Run: the same calls with \`nemo_run\` (its jobs run \`python -m nemo_run.core.runners.fdl_runner\`); its temporary NEMORUN_HOME and labrun's workspace are deleted after each run.`,
    `- **Wall time** from \`Experiment(...)\` to the end of the \`with\` block (every job done); interpreter start-up and \`import\` of the launcher are not in it. **Planning** is the \`add()\` calls inside it.`,
    `- **Bare**: \`subprocess.run([sys.executable, "-c", "from launch_jobs import step; step(i)"])\` × N in the same process right after the DAG, sequentially and ${parallel} at a time. Overhead per job = (DAG wall − bare wall) / N.`,
    "- **CPU** is user + system time of the script's own process and every descendant it reaped (planner, engine, wrappers, jobs), from `getrusage`; on a shared machine it moves far less than wall time.",
    `- NeMo-Run runs ${n.jobs} jobs, not ${l.jobs}: each of its Partial jobs is a Python process that imports nemo_run (about 2.4 s of CPU and 127 MB each), so the ${l.jobs}-job DAG would take about 20 minutes of this 2-core machine, and its LocalExecutor puts no limit on concurrent jobs (a 998-wide level would start up to 998 such processes at once, more memory than the machine has). Its per-job cost does not shrink with N (bench/peers/README.md: its launch path grows worse with N).`,
    "",
    "## Results",
    "",
    loadNote,
    "",
    ...rows,
    "",
    "## Goal",
    "",
    `From the issue: "the whole DAG in under ${GOAL_WALL_S} s on this 2-core machine, and at least ${GOAL_RATIO}× less overhead per job than NeMo-Run".`,
    "",
    ...goal,
  ].join("\n");
  console.log(
    `\n${rows.join("\n")}\n\n${goal.join("\n")}\n\n${loadNote}\n(bench took ${fmt(benchSeconds, 0)} s)`,
  );
  if (!QUICK) writeResultsSection(resultsFile, "python-launch", md);
}

main();
