// Launch-overhead benchmark (`npm run bench`).
//
// What it measures, all in one process and one run, so every figure shares the machine's state:
//   - labrun: a 1000-job local graph of `true` (root → 998 middle jobs → one final job), end to end from
//     `new Experiment` to `await exp.run()` returning, with the LocalExecutor's default maxParallel (the CPU
//     count) and with maxParallel 16;
//   - bare:   1000 `child_process.spawn("true")`, each awaited to its exit, one at a time and with the same
//     concurrency as each labrun run, so per-job overhead = (labrun wall − bare wall) / 1000;
//   - chain:  100 labrun jobs each depending on the previous one, against 100 sequential bare spawns, for the
//     latency of one dependency hop;
//   - diagnostic: 1000 bare spawns of a sh wrapper equivalent to the one LocalExecutor runs every job under,
//     to split labrun's overhead into "the wrapper process" and "the driver (Node) side".
// Every measurement is repeated REPS times, in interleaved rounds; median and min/max are reported.
// The table goes to stdout and, with --report, to the "launch" section of bench/RESULTS.md (the rest of
// the file is kept).
//
// Each labrun job is `new Script({ path: "/bin/true", entrypoint: "" })`: the job's command is the /bin/true
// executable itself, the same binary the bare baseline spawns. (`new Script({ inline: "true" })` would run
// `bash inline.sh`, where `true` is a bash builtin: a different, not an equivalent, command.)

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, release, tmpdir, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Experiment, LocalExecutor, Script } from "labrun";
import type { ExperimentResult, JobStatus } from "labrun";
import { writeResultsSection } from "./results-file.js";
import { clockTicks, machineBusyMs } from "./machine-load.js";
import { stat, type Stat } from "./stats.js";

const REPS = 3;
const GRAPH_JOBS = 1000;
const CHAIN_JOBS = 100;
const WIDE_PARALLEL = 16;
const GOAL_PER_JOB_MS = 5;
const GOAL_GRAPH_S = 10;

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const resultsFile = join(benchDir, "RESULTS.md");
const peersReadme = join(benchDir, "peers", "README.md");
const DEFAULT_PARALLEL = new LocalExecutor().maxParallel;

// ---------------------------------------------------------------- measuring

interface Sample {
  /** Wall time, ms. */
  readonly wallMs: number;
  /** CPU time of this (driver) process, user + system, ms; child processes not included. */
  readonly cpuMs: number;
  /** CPU time the rest of the machine used meanwhile (other processes, kernel threads), ms; NaN if unknown. */
  readonly foreignMs: number;
  /** For labrun runs: time spent in `new Experiment` + `add()` calls, ms. */
  readonly addMs?: number;
  /** For labrun runs: the longest gap between two ticks of a 10 ms interval timer during the run, ms. */
  readonly stallMs?: number;
}

/** Watches the event loop: the longest time a 10 ms interval timer could not run. */
function stallWatch(): () => number {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  return () => {
    clearInterval(timer);
    return Math.max(longest, performance.now() - last);
  };
}

/** CPU time of this process and of its reaped children (the jobs and their own children), ms, from /proc/self/stat. */
function ownTreeMs(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    // Fields 14–17 of the file (utime, stime, cutime, cstime) are 11–14 after the command name.
    return ((fields[11]! + fields[12]! + fields[13]! + fields[14]!) * 1000) / clockTicks;
  } catch {
    return NaN;
  }
}

async function timed(fn: () => Promise<{ addMs: number; stallMs: number } | void>): Promise<Sample> {
  const busy0 = machineBusyMs();
  const own0 = ownTreeMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const extra = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // A child's CPU time reaches our cutime/cstime only once the child is reaped, and labrun can reap its
  // children late (when its scheduler loop never yields to the event loop): let the count settle before
  // comparing it with the machine's busy time.
  let own = ownTreeMs();
  for (let i = 0; i < 60; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = ownTreeMs();
    if (now === own) break;
    own = now;
  }
  const windowMs = performance.now() - t0;
  const foreignMs = ((machineBusyMs() - busy0 - (own - own0)) * wallMs) / windowMs;
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, foreignMs, ...(extra ?? {}) };
}

function spawnOnce(command: string, args: readonly string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(" ")} exited with ${code ?? signal}`)),
    );
  });
}

/** `count` spawns of `command`, `concurrency` at a time, each awaited to its exit. */
async function barePool(
  count: number,
  concurrency: number,
  command: string,
  args: (i: number) => readonly string[] = () => [],
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        await spawnOnce(command, args(i));
      }
    }),
  );
}

function newWorkspace(label: string): string {
  return mkdtempSync(join(tmpdir(), `labrun-bench-${label}-`));
}

function trueJob(): Script {
  return new Script({ path: "/bin/true", entrypoint: "" });
}

function checkAllCompleted(result: ExperimentResult, expected: number, what: string): void {
  const completed = result.jobs.filter((job) => job.state === "COMPLETED").length;
  if (!result.ok || result.jobs.length !== expected || completed !== expected) {
    const bad = result.jobs.find((job) => job.state !== "COMPLETED");
    throw new Error(
      `${what}: ${completed}/${expected} COMPLETED (ok=${result.ok}); first other: ${JSON.stringify(bad)}`,
    );
  }
}

/** The wrapper's own start/end stamps must show every job started after its dependencies ended. */
function checkOrder(jobs: readonly JobStatus[], what: string): void {
  const byName = new Map(jobs.map((job) => [job.name, job]));
  for (const job of jobs) {
    const start = Date.parse(job.startedAt ?? "");
    for (const dep of job.dependencies) {
      const end = Date.parse(byName.get(dep)?.endedAt ?? "");
      if (!(start >= end))
        throw new Error(
          `${what}: ${job.name} started (${job.startedAt}) before ${dep} ended (${byName.get(dep)?.endedAt})`,
        );
    }
  }
}

/** Fan-out + fan-in: root, GRAPH_JOBS − 2 middle jobs on root, one final job on all middle jobs. */
async function labrunGraph(maxParallel: number | undefined): Promise<Sample> {
  const baseDir = newWorkspace("graph");
  let exp: Experiment | undefined;
  let result: ExperimentResult | undefined;
  try {
    const sample = await timed(async () => {
      const t0 = performance.now();
      exp = new Experiment("launch-overhead-graph", {
        baseDir,
        cleanMode: true,
        // No executor given: the Experiment's default LocalExecutor, whose maxParallel is the CPU count.
        ...(maxParallel === undefined ? {} : { executor: new LocalExecutor({ maxParallel }) }),
      });
      const root = exp.add(trueJob(), { name: "root" });
      const middle: string[] = [];
      for (let i = 1; i <= GRAPH_JOBS - 2; i++)
        middle.push(exp.add(trueJob(), { name: `middle-${i}`, dependencies: [root] }));
      exp.add(trueJob(), { name: "final", dependencies: middle });
      const addMs = performance.now() - t0;
      const stalls = stallWatch();
      result = await exp.run();
      return { addMs, stallMs: stalls() };
    });
    checkAllCompleted(result!, GRAPH_JOBS, `graph (maxParallel ${maxParallel ?? "default"})`);
    checkOrder(exp!.jobs, "graph");
    return sample;
  } finally {
    rmSync(baseDir, { recursive: true, force: true });
  }
}

/** CHAIN_JOBS jobs, each depending on the previous one. */
async function labrunChain(): Promise<Sample> {
  const baseDir = newWorkspace("chain");
  let exp: Experiment | undefined;
  let result: ExperimentResult | undefined;
  try {
    const sample = await timed(async () => {
      const t0 = performance.now();
      exp = new Experiment("launch-overhead-chain", { baseDir, cleanMode: true });
      let previous: string | undefined;
      for (let i = 1; i <= CHAIN_JOBS; i++)
        previous = exp.add(trueJob(), {
          name: `hop-${i}`,
          ...(previous ? { dependencies: [previous] } : {}),
        });
      const addMs = performance.now() - t0;
      const stalls = stallWatch();
      result = await exp.run();
      return { addMs, stallMs: stalls() };
    });
    checkAllCompleted(result!, CHAIN_JOBS, "chain");
    checkOrder(exp!.jobs, "chain");
    return sample;
  } finally {
    rmSync(baseDir, { recursive: true, force: true });
  }
}

/**
 * The same work as LocalExecutor's per-job wrapper (src/executors/local/local-wrapper.ts): record the pid (the
 * file's time is the start), trap signals, export the LABRUN_* variables, cd, run the command with its output
 * appended to the job's logs, record the exit code. Spawned bare under /bin/sh, it is the floor of labrun's design.
 */
function wrapperEquivalent(jobDir: string): string {
  return [
    "#!/bin/sh",
    `JOB_DIR=${jobDir}`,
    `echo "$$" > "$JOB_DIR/started"`,
    "trap ':' TERM INT HUP",
    ...[
      "LABRUN_HOME",
      "LABRUN_EXPERIMENT_ID",
      "LABRUN_EXPERIMENT_DIR",
      "LABRUN_JOB_NAME",
      "LABRUN_JOB_DIR",
      "LABRUN_JOB_ATTEMPT",
    ].map((name) => `export ${name}=${jobDir}`),
    `cd -- ${tmpdir()} 2>>"$JOB_DIR/stderr.log" || exit 1`,
    `/bin/true >>"$JOB_DIR/stdout.log" 2>>"$JOB_DIR/stderr.log" </dev/null`,
    "rc=$?",
    `echo "$rc" > "$JOB_DIR/exit_code"`,
    'exit "$rc"',
    "",
  ].join("\n");
}

async function bareWrapper(concurrency: number, count = GRAPH_JOBS): Promise<Sample> {
  const base = newWorkspace("wrapper");
  try {
    const wrappers = Array.from({ length: count }, (_, i) => {
      const dir = join(base, String(i));
      mkdirSync(dir);
      writeFileSync(join(dir, "launch.sh"), wrapperEquivalent(dir), { mode: 0o755 });
      return join(dir, "launch.sh");
    });
    return await timed(() => barePool(count, concurrency, "/bin/sh", (i) => [wrappers[i]!]));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the plan

interface Measurement {
  readonly key: string;
  readonly label: string;
  readonly run: () => Promise<Sample>;
  readonly samples: Sample[];
}

const measurements: Measurement[] = [];
function measure(key: string, label: string, run: () => Promise<Sample>): void {
  measurements.push({ key, label, run, samples: [] });
}

measure("bare-seq", `bare spawn("true") ×${GRAPH_JOBS}, sequential`, () =>
  timed(() => barePool(GRAPH_JOBS, 1, "true")),
);
measure("bare-def", `bare spawn("true") ×${GRAPH_JOBS}, ${DEFAULT_PARALLEL} at a time`, () =>
  timed(() => barePool(GRAPH_JOBS, DEFAULT_PARALLEL, "true")),
);
measure("bare-16", `bare spawn("true") ×${GRAPH_JOBS}, ${WIDE_PARALLEL} at a time`, () =>
  timed(() => barePool(GRAPH_JOBS, WIDE_PARALLEL, "true")),
);
measure("labrun-def", `labrun ${GRAPH_JOBS}-job graph, maxParallel default (${DEFAULT_PARALLEL})`, () =>
  labrunGraph(undefined),
);
measure("labrun-16", `labrun ${GRAPH_JOBS}-job graph, maxParallel ${WIDE_PARALLEL}`, () =>
  labrunGraph(WIDE_PARALLEL),
);
measure("bare-chain", `bare spawn("true") ×${CHAIN_JOBS}, sequential`, () =>
  timed(() => barePool(CHAIN_JOBS, 1, "true")),
);
measure("labrun-chain", `labrun ${CHAIN_JOBS}-job chain`, () => labrunChain());
measure("wrapper-def", `diagnostic: bare sh wrapper ×${GRAPH_JOBS}, ${DEFAULT_PARALLEL} at a time`, () =>
  bareWrapper(DEFAULT_PARALLEL),
);
measure("wrapper-chain", `diagnostic: bare sh wrapper ×${CHAIN_JOBS}, sequential`, () =>
  bareWrapper(1, CHAIN_JOBS),
);
measure("wrapper-16", `diagnostic: bare sh wrapper ×${GRAPH_JOBS}, ${WIDE_PARALLEL} at a time`, () =>
  bareWrapper(WIDE_PARALLEL),
);

// ---------------------------------------------------------------- statistics

function samplesOf(key: string): Sample[] {
  return measurements.find((m) => m.key === key)!.samples;
}

/** Per-round differences (a − b) / per, so each pair shares the machine's state of that round. */
function pairedPer(aKey: string, bKey: string, per: number): Stat {
  const a = samplesOf(aKey);
  const b = samplesOf(bKey);
  return stat(a.map((s, i) => (s.wallMs - b[i]!.wallMs) / per));
}

const fmt = (value: number, digits = 2) => value.toFixed(digits);
const fmtStat = (s: Stat, digits = 2, unit = "") =>
  `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  // Warm-up (not reported): loads the modules, JIT-compiles the scheduler and spawn paths.
  await barePool(50, 2, "true");
  {
    const baseDir = newWorkspace("warmup");
    try {
      const exp = new Experiment("launch-overhead-warmup", { baseDir, cleanMode: true });
      const root = exp.add(trueJob(), { name: "root" });
      exp.add(trueJob(), {
        name: "final",
        dependencies: [exp.add(trueJob(), { name: "middle", dependencies: [root] })],
      });
      checkAllCompleted(await exp.run(), 3, "warm-up");
    } finally {
      rmSync(baseDir, { recursive: true, force: true });
    }
  }

  for (let round = 1; round <= REPS; round++) {
    for (const m of measurements) {
      const sample = await m.run();
      m.samples.push(sample);
      const foreign = (100 * sample.foreignMs) / (sample.wallMs * cpus().length);
      process.stderr.write(
        `round ${round}/${REPS}  ${m.label.padEnd(62)} ${fmt(sample.wallMs / 1000, 3)} s  (other load ${fmt(Math.max(0, foreign), 0)} %)\n`,
      );
    }
  }
  const benchSeconds = (Date.now() - started) / 1000;

  // -------- tables
  const rows: string[] = [
    "| measurement | wall, s: median (min–max) | per job, ms (median) | driver CPU per job, ms (median) | other load, % of machine (max) |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  const cores = cpus().length;
  for (const m of measurements) {
    const n = m.key.includes("chain") ? CHAIN_JOBS : GRAPH_JOBS;
    const wall = stat(m.samples.map((s) => s.wallMs / 1000));
    const cpu = stat(m.samples.map((s) => s.cpuMs / n));
    const foreign = stat(m.samples.map((s) => (100 * s.foreignMs) / (s.wallMs * cores)));
    rows.push(
      `| ${m.label} | ${fmtStat(wall, 3)} | ${fmt((wall.median * 1000) / n)} | ${fmt(cpu.median)} | ${fmt(Math.max(0, foreign.max), 0)} |`,
    );
  }
  const allSamples = measurements.flatMap((m) => m.samples);
  const foreignShare =
    (100 * allSamples.reduce((sum, s) => sum + s.foreignMs, 0)) /
    (allSamples.reduce((sum, s) => sum + s.wallMs, 0) * cores);
  const busyMachine = !(foreignShare < 5);
  const loadNote =
    `Other processes (and kernel threads) used ${Number.isNaN(foreignShare) ? "an unknown share" : `${fmt(Math.max(0, foreignShare), 1)} %`} of the machine's CPU time during the measurements` +
    (busyMachine
      ? ": **the machine was shared, so these figures are inflated and noisy; re-run on a quiet machine for the real ones.**"
      : " (a quiet machine).");

  const overheadDef = pairedPer("labrun-def", "bare-def", GRAPH_JOBS);
  const overhead16 = pairedPer("labrun-16", "bare-16", GRAPH_JOBS);
  const overheadSeq = pairedPer("labrun-def", "bare-seq", GRAPH_JOBS);
  const overheadSeq16 = pairedPer("labrun-16", "bare-seq", GRAPH_JOBS);
  const hop = stat(samplesOf("labrun-chain").map((s) => s.wallMs / CHAIN_JOBS));
  const hopOverhead = pairedPer("labrun-chain", "bare-chain", CHAIN_JOBS);
  const wrapperDef = pairedPer("wrapper-def", "bare-def", GRAPH_JOBS);
  const wrapper16 = pairedPer("wrapper-16", "bare-16", GRAPH_JOBS);
  const driverDef = pairedPer("labrun-def", "wrapper-def", GRAPH_JOBS);
  const driver16 = pairedPer("labrun-16", "wrapper-16", GRAPH_JOBS);
  const graphDef = stat(samplesOf("labrun-def").map((s) => s.wallMs / 1000));
  const graph16 = stat(samplesOf("labrun-16").map((s) => s.wallMs / 1000));
  const addDef = stat(samplesOf("labrun-def").map((s) => s.addMs ?? NaN));
  const add16 = stat(samplesOf("labrun-16").map((s) => s.addMs ?? NaN));
  const stallOf = (key: string) => stat(samplesOf(key).map((s) => s.stallMs ?? NaN));

  const derived: string[] = [
    "| derived figure | median (min–max), ms |",
    "| --- | ---: |",
    `| **per-job overhead over bare spawn**, maxParallel ${DEFAULT_PARALLEL} (default) vs bare ${DEFAULT_PARALLEL} at a time | **${fmtStat(overheadDef)}** |`,
    `| **per-job overhead over bare spawn**, maxParallel ${WIDE_PARALLEL} vs bare ${WIDE_PARALLEL} at a time | **${fmtStat(overhead16)}** |`,
    `| per-job overhead, maxParallel ${DEFAULT_PARALLEL} (default) vs bare sequential | ${fmtStat(overheadSeq)} |`,
    `| per-job overhead, maxParallel ${WIDE_PARALLEL} vs bare sequential | ${fmtStat(overheadSeq16)} |`,
    `| latency per dependency hop (${CHAIN_JOBS}-job chain wall / ${CHAIN_JOBS}) | ${fmtStat(hop)} |`,
    `| overhead per hop over a bare sequential spawn | ${fmtStat(hopOverhead)} |`,
    `| of the overhead per hop: the sh wrapper process (wrapper − bare, sequential) | ${fmtStat(pairedPer("wrapper-chain", "bare-chain", CHAIN_JOBS))} |`,
    `| of the overhead per hop: the driver side (chain − wrapper, sequential) | ${fmtStat(pairedPer("labrun-chain", "wrapper-chain", CHAIN_JOBS))} |`,
    `| of the per-job overhead at ${DEFAULT_PARALLEL}: the sh wrapper process (wrapper − bare) | ${fmtStat(wrapperDef)} |`,
    `| of the per-job overhead at ${DEFAULT_PARALLEL}: the driver side (labrun − wrapper) | ${fmtStat(driverDef)} |`,
    `| of the per-job overhead at ${WIDE_PARALLEL}: the sh wrapper process (wrapper − bare) | ${fmtStat(wrapper16)} |`,
    `| of the per-job overhead at ${WIDE_PARALLEL}: the driver side (labrun − wrapper) | ${fmtStat(driver16)} |`,
    `| \`new Experiment\` + ${GRAPH_JOBS} \`add()\` calls (inside the graph wall time), default / ${WIDE_PARALLEL} | ${fmt(addDef.median, 1)} / ${fmt(add16.median, 1)} |`,
    `| longest event-loop stall during \`exp.run()\` (largest gap between ticks of a 10 ms interval timer): graph at ${DEFAULT_PARALLEL} / graph at ${WIDE_PARALLEL} / chain | ${fmt(stallOf("labrun-def").median, 0)} / ${fmt(stallOf("labrun-16").median, 0)} / ${fmt(stallOf("labrun-chain").median, 0)} |`,
  ];

  const perJobWorst = Math.max(overheadDef.median, overhead16.median);
  const graphWorst = Math.max(graphDef.median, graph16.median);
  // Compared as displayed (2 decimals), so a figure shown as "5.00" never counts as under 5.
  const perJobMet = Number(fmt(perJobWorst)) < GOAL_PER_JOB_MS;
  const graphMet = Number(fmt(graphWorst)) < GOAL_GRAPH_S;
  const goal = [
    "| goal | measured (median, worse of the two maxParallel settings) | met |",
    "| --- | ---: | :---: |",
    `| < ${GOAL_PER_JOB_MS} ms per job over bare spawn | ${fmt(perJobWorst)} ms | ${perJobMet ? "yes" : "**no**"} |`,
    `| ${GRAPH_JOBS}-job graph under ${GOAL_GRAPH_S} s | ${fmt(graphWorst, 2)} s | ${graphMet ? "yes" : "**no**"} |`,
  ];

  const labrunVersion = (
    JSON.parse(readFileSync(join(benchDir, "..", "package.json"), "utf8")) as { version: string }
  ).version;
  const cpuList = cpus();
  const machine = [
    `- CPU: ${cpuList[0]?.model ?? "unknown"} × ${cpuList.length} (availableParallelism ${availableParallelism()})`,
    `- memory: ${fmt(totalmem() / 2 ** 30, 1)} GiB`,
    `- OS: ${osType()} ${release()}`,
    `- Node ${process.version}; labrun ${labrunVersion} (built dist/, imported as "labrun")`,
    `- temporary workspaces under ${tmpdir()}`,
  ];

  const summary = [
    `${GRAPH_JOBS}-job graph: ${fmt(graphDef.median, 2)} s (maxParallel ${DEFAULT_PARALLEL}), ${fmt(graph16.median, 2)} s (maxParallel ${WIDE_PARALLEL}); ` +
      `per-job overhead over bare spawn: ${fmt(overheadDef.median)} ms / ${fmt(overhead16.median)} ms; ` +
      `dependency hop: ${fmt(hop.median)} ms.`,
  ];

  const stdoutReport = [
    "",
    ...rows,
    "",
    ...derived,
    "",
    ...goal,
    "",
    summary[0]!,
    loadNote,
    `(bench took ${fmt(benchSeconds, 0)} s)`,
  ].join("\n");
  console.log(stdoutReport);

  const md = [
    "# Launch overhead",
    "",
    "Generated by `npm run bench` (bench/launch-overhead.ts); this section is replaced by a run with `--report` (`npm run bench:report`) — do not edit by hand.",
    "",
    `Date: ${new Date().toISOString()} · ${REPS} rounds, each measurement once per round (interleaved), median and min–max over the rounds · bench took ${fmt(benchSeconds, 0)} s.`,
    "",
    "## Machine",
    "",
    ...machine,
    "",
    "## What runs",
    "",
    `- **Graph**: one root job, ${GRAPH_JOBS - 2} middle jobs each depending on the root (fan-out), one final job depending on all middle jobs (fan-in), on the local executor. ` +
      'Each job is `new Script({ path: "/bin/true", entrypoint: "" })`: the job\'s command is the `/bin/true` executable, the same binary the bare baseline spawns ' +
      '(the `inline: "true"` form would run `bash inline.sh` with bash\'s builtin `true` instead). ' +
      "Wall time runs from `new Experiment` (with a fresh `mkdtemp` workspace as `baseDir`, `cleanMode: true`) through `await exp.run()` returning; " +
      "then the bench checks `result.ok`, all jobs COMPLETED, and from the wrapper's own time stamps that every job started after its dependencies ended.",
    `- **maxParallel**: the LocalExecutor default (the CPU count, here ${DEFAULT_PARALLEL}: no executor given to the Experiment), and ${WIDE_PARALLEL}.`,
    `- **Bare**: \`child_process.spawn("true", { stdio: "ignore" })\` awaited to its exit, ${GRAPH_JOBS} times, sequentially and with the same concurrency as each labrun run. ` +
      "Per-job overhead = (labrun wall − bare wall at the same concurrency) / 1000, computed per round (the two ran back to back) and summarised over rounds.",
    `- **Chain**: ${CHAIN_JOBS} jobs each depending on the previous one; latency per hop = wall / ${CHAIN_JOBS}, compared with ${CHAIN_JOBS} sequential bare spawns.`,
    "- **Diagnostic**: a POSIX sh script doing what LocalExecutor's per-job wrapper does (record pid and start, trap, export the LABRUN_* variables, cd, run `/bin/true` " +
      "with output appended to the job's logs, record end time and exit code), spawned bare. It splits labrun's overhead into the wrapper process (a fixed cost of the " +
      "design: jobs outlive the driver and record their own exit code) and the driver side (Node: job.json writes, wrapper files, scheduling).",
    "- **Driver CPU** is `process.cpuUsage()` of the benchmark process (user + system, all its threads, not its children), per job.",
    "- **Event-loop stall**: while `exp.run()` is awaited, a 10 ms interval timer records the longest gap between its ticks. A stall that long delays every timer, " +
      "signal handler (Ctrl-C, SIGTERM), progress line and child-exit event in the driver; a responsive driver keeps it in the tens of ms.",
    "- **Other load** is the CPU time the rest of the machine used during a measurement (/proc/stat busy time minus this process's and its reaped children's), " +
      "as a share of all CPUs over that wall time; anything above a few % means another workload competed with the benchmark.",
    "",
    "## Results",
    "",
    loadNote,
    "",
    ...rows,
    "",
    ...derived,
    "",
    "## Goal",
    "",
    `From the issue: \"< ${GOAL_PER_JOB_MS} ms per job over bare spawn, the ${GRAPH_JOBS}-job graph under ${GOAL_GRAPH_S} s on this 2-core machine\".`,
    "",
    ...goal,
    "",
    `**${perJobMet && graphMet ? "Goal met." : "Goal NOT met."}** ${summary[0]}`,
    "",
    "## Peers",
    "",
    ...peersSection({
      graphDef,
      graph16,
      overheadSeq,
      overheadSeq16,
      bareSeq: stat(samplesOf("bare-seq").map((s) => s.wallMs / GRAPH_JOBS)),
    }),
    "",
  ].join("\n");
  writeResultsSection(resultsFile, "launch", md);
  process.stderr.write(`wrote the launch section of ${resultsFile}\n`);
}

interface OurPeerFigures {
  readonly graphDef: Stat;
  readonly graph16: Stat;
  readonly overheadSeq: Stat;
  readonly overheadSeq16: Stat;
  readonly bareSeq: Stat;
}

/** The rows of the first markdown table in `text` whose header has a column named `firstColumn`, as column → cell. */
function markdownTable(text: string, firstColumn: string): Record<string, string>[] {
  const lines = text.split("\n");
  const start = lines.findIndex(
    (line) => line.trim().startsWith("|") && splitRow(line)[0]?.toLowerCase() === firstColumn,
  );
  if (start < 0) return [];
  const header = splitRow(lines[start]!);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith("|")) break;
    const cells = splitRow(line);
    rows.push(Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""])));
  }
  return rows;
}

function splitRow(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((cell) => cell.trim());
}

/** Side-by-side figures from bench/peers/README.md (written by whoever runs the peer benchmarks), quoted with attribution. */
function peersSection(ours: OurPeerFigures): string[] {
  if (!existsSync(peersReadme))
    return [
      "Peer figures pending: bench/peers/README.md does not exist yet (the NeMo-Run peer benchmark is being written there). " +
        "Re-run `npm run bench` once it does; this section then quotes it.",
    ];
  const text = readFileSync(peersReadme, "utf8");
  const out: string[] = [];
  // The peers README's results table: | shape | N | runs ok / total | total s (median, min–max) | … |
  const rows = markdownTable(text, "shape");
  const column = (row: Record<string, string>, start: string) =>
    Object.entries(row).find(([name]) => name.toLowerCase().startsWith(start))?.[1] ?? "?";
  const peerGraph = rows.find(
    (row) => /dag|fan-out/i.test(row["shape"] ?? "") && column(row, "n") === String(GRAPH_JOBS),
  );
  const version = text.match(/nemo_run \*\*([\d.]+)\*\*/)?.[1];
  const peerName = `NeMo-Run${version ? ` ${version}` : ""}`;
  if (peerGraph) {
    out.push(
      `Side by side, ${GRAPH_JOBS}-job fan-out/fan-in graph of \`true\` on this machine. labrun: this run. ${peerName}: the cells of the ${GRAPH_JOBS}-job DAG row ` +
        "of the results table in bench/peers/README.md, quoted as written there (measured by the peers benchmark, bench/peers/nemo_run_launch.py, not by this script).",
      "",
      `| figure | labrun, maxParallel ${DEFAULT_PARALLEL} (default) | labrun, maxParallel ${WIDE_PARALLEL} | ${peerName}, LocalExecutor (16 launch threads) |`,
      "| --- | ---: | ---: | ---: |",
      `| runs that completed | ${REPS}/${REPS} | ${REPS}/${REPS} | ${column(peerGraph, "runs ok")} |`,
      `| wall time, s: median (min–max) | ${fmtStat(ours.graphDef)} | ${fmtStat(ours.graph16)} | ${column(peerGraph, "total s")} |`,
      `| per-job overhead over a bare *sequential* spawn, ms (median) | ${fmt(ours.overheadSeq.median)} | ${fmt(ours.overheadSeq16.median)} | ${column(peerGraph, "overhead")} |`,
      `| the bare sequential spawn itself, ms/job | ${fmt(ours.bareSeq.median)} (Node \`child_process.spawn\`) | same | ${column(peerGraph, "bare spawn")} (Python \`subprocess.run\`) |`,
      `| failures seen | none | none | ${column(peerGraph, "failures")} |`,
      "",
      "Each overhead is over the tool's own bare spawn, measured in the same process (the peers README uses a sequential baseline, so the labrun figures in this table do too). " +
        "NeMo-Run's wall time leaves out its ~1.3 s `import nemo_run`, as labrun's leaves out Node start-up.",
      "",
    );
  } else {
    out.push(
      `bench/peers/README.md has no ${GRAPH_JOBS}-job DAG row this script could read; its text is quoted below instead.`,
      "",
    );
  }
  // Quote the peers README's results section (heading through the paragraphs after its table) verbatim.
  const lines = text.trimEnd().split("\n");
  const from = lines.findIndex((line) => /^##\s+Results/i.test(line));
  const to = from < 0 ? -1 : lines.findIndex((line, i) => i > from && /^##\s/.test(line));
  const quoted = from < 0 ? lines : lines.slice(from, to < 0 ? undefined : to);
  out.push(
    "From bench/peers/README.md (written by the peer benchmark, not by this script; see that file for how it was measured and for NeMo-Run's failure modes at 1000 jobs):",
    "",
    ...quoted.map((line) => (line ? `> ${line}` : ">")),
  );
  return out;
}

await main();
