// Launch at scale (`node --import tsx bench/launch-scale.ts [--slurm] [--report]`; issue #15's scale tests).
//
//   - local: a fan-out/fan-in graph of `/bin/true` jobs (root → N−2 middle jobs → one final job) on the
//     LocalExecutor (default maxParallel, the CPU count), N = 1,000 and 10,000, each in a fresh Node process so
//     its peak memory is its own: wall time from `new Experiment` to `run()` returning, the driver's CPU time,
//     the CPU time of the jobs (wrappers and `/bin/true`, reaped by the driver), the driver's peak RSS.
//   - slurm (with --slurm): a sweep of N = 10,000 `/bin/true` jobs as job arrays on the local cluster
//     (/work/shared/slurm), counting the sbatch and squeue calls labrun makes (shims on PATH log them).
// The workspace is under TMPDIR (its file system is reported: creating a file costs 20× more on this VM's /tmp
// than on a fresh folder, see the launch section). The table goes to stdout and, with --report, to the
// "launch-scale" section of bench/RESULTS.md.

import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Experiment, LocalTunnel, Script, SlurmExecutor } from "labrun";
import { childrenCpuMs, machineBusyMs } from "./machine-load.js";
import { formatWithPrettier, writeResultsSection } from "./results-file.js";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const resultsFile = join(benchDir, "RESULTS.md");
const LOCAL_SIZES = (process.env.SCALE_LOCAL_JOBS ?? "1000,10000").split(",").filter(Boolean).map(Number);
// The samples of the last runs: a run replaces those of the kinds it measured (`SCALE_LOCAL_JOBS= … --slurm`
// measures Slurm alone), and the report is rendered from all of them.
const samplesFile = join(benchDir, "launch-scale-samples.json");
const SLURM_JOBS = Number(process.env.SCALE_SLURM_JOBS ?? 10_000);
const GOAL_LOCAL_S = 60;

/** What one measured run (in its own process) prints. */
interface Sample {
  readonly kind: "local" | "slurm";
  readonly jobs: number;
  readonly ok: boolean;
  readonly states: Record<string, number>;
  readonly wallS: number;
  /** Until every job had its handle (Slurm), s. */
  readonly submitS?: number;
  readonly addMs: number;
  readonly driverCpuMs: number;
  readonly childrenCpuMs: number;
  readonly peakRssMb: number;
  readonly sbatchCalls?: number;
  readonly squeueCalls?: number;
  readonly otherCommands?: Record<string, number>;
  /** CPU the rest of the machine used meanwhile, % of all CPUs. */
  readonly otherLoad: number;
  readonly loadAvg: readonly [number, number];
  readonly workspaceFs: string;
}

function peakRssMb(): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? NaN) / 1024;
}

function fsName(dir: string): string {
  const type = statfsSync(dir).type;
  const known: Record<number, string> = {
    0x01021994: "tmpfs",
    0xef53: "ext4",
    0x9123683e: "btrfs",
    0x58465342: "xfs",
  };
  return `${dir} (${known[type] ?? `fs type 0x${type.toString(16)}`})`;
}

const trueJob = () => new Script({ path: "/bin/true", entrypoint: "" });

/** Wrappers on PATH that log each Slurm command labrun runs, then run the real one. */
function slurmShims(dir: string, log: string): string {
  mkdirSync(dir, { recursive: true });
  for (const command of ["sbatch", "squeue", "scontrol", "sacct", "scancel"]) {
    const real = execFileSync("bash", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim();
    const file = join(dir, command);
    writeFileSync(file, `#!/bin/sh\necho ${command} >> ${log}\nexec ${real} "$@"\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

/** One run, in this (child) process. */
async function measureOne(kind: "local" | "slurm", jobs: number): Promise<Sample> {
  const baseDir = mkdtempSync(join(tmpdir(), `labrun-bench-scale-${kind}-`));
  const log = join(baseDir, "slurm-commands.log");
  if (kind === "slurm")
    process.env.PATH = `${slurmShims(join(baseDir, "shims"), log)}:${process.env.PATH ?? ""}`;
  const load0 = loadavg()[0]!;
  const busy0 = machineBusyMs();
  const children0 = childrenCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const exp = new Experiment(`launch-scale-${kind}`, {
      baseDir,
      cleanMode: true,
      systemMetricsIntervalMs: 0,
      ...(kind === "slurm"
        ? { executor: new SlurmExecutor({ partition: "debug", time: "5", tunnel: new LocalTunnel() }) }
        : {}),
    });
    if (kind === "local") {
      const root = exp.add(trueJob(), { name: "root" });
      const middle: string[] = [];
      for (let i = 1; i <= jobs - 2; i++)
        middle.push(exp.add(trueJob(), { name: `middle-${i}`, dependencies: [root] }));
      exp.add(trueJob(), { name: "final", dependencies: middle });
    } else for (let i = 0; i < jobs; i++) exp.add(trueJob(), { name: `job-${i}` });
    const addMs = performance.now() - t0;
    const running = exp.run();
    let submitS: number | undefined;
    if (kind === "slurm")
      while (submitS === undefined) {
        if (exp.jobs.length === jobs && exp.jobs.every((job) => job.jobId))
          submitS = (performance.now() - t0) / 1000;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
    const result = await running;
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the last children reaped
    const children = childrenCpuMs() - children0;
    const foreign = machineBusyMs() - busy0 - (cpu.user + cpu.system) / 1000 - children;
    const states: Record<string, number> = {};
    for (const job of result.jobs) states[job.state] = (states[job.state] ?? 0) + 1;
    const commands: Record<string, number> = {};
    if (kind === "slurm")
      for (const line of readFileSync(log, "utf8").split("\n").filter(Boolean))
        commands[line] = (commands[line] ?? 0) + 1;
    const { sbatch = 0, squeue = 0, ...otherCommands } = commands;
    return {
      kind,
      jobs,
      ok: result.ok && states.COMPLETED === jobs,
      states,
      wallS: wallMs / 1000,
      ...(submitS === undefined ? {} : { submitS }),
      addMs,
      driverCpuMs: (cpu.user + cpu.system) / 1000,
      childrenCpuMs: children,
      peakRssMb: peakRssMb(),
      ...(kind === "slurm" ? { sbatchCalls: sbatch, squeueCalls: squeue, otherCommands } : {}),
      otherLoad: Math.max(0, (100 * foreign) / (wallMs * cpus().length)),
      loadAvg: [load0, loadavg()[0]!],
      workspaceFs: fsName(tmpdir()),
    };
  } finally {
    rmSync(baseDir, { recursive: true, force: true });
  }
}

function runChild(kind: "local" | "slurm", jobs: number): Sample {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--child", kind, String(jobs)],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 64 * 2 ** 20,
    },
  );
  const line = child.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as Sample;
  } catch {
    throw new Error(
      `the ${kind} run of ${jobs} jobs printed no result (exit ${child.status}):\n${child.stdout}`,
    );
  }
}

const f = (value: number | undefined, digits = 1) =>
  value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(digits);

function report(samples: readonly Sample[], slurmConfig: string): string {
  const local = samples.filter((s) => s.kind === "local");
  const slurm = samples.filter((s) => s.kind === "slurm");
  const rows = (list: readonly Sample[]) =>
    list.map(
      (s) =>
        `| ${s.kind} | ${s.jobs.toLocaleString("en")} | ${s.ok ? "yes" : `**no** ${JSON.stringify(s.states)}`} | ${f(s.wallS, 2)} | ${s.submitS === undefined ? "—" : f(s.submitS, 2)} | ${f(s.driverCpuMs / 1000, 2)} | ${f(s.driverCpuMs / s.jobs, 2)} | ${f(s.childrenCpuMs / s.jobs, 2)} | ${f(s.peakRssMb, 0)} | ${s.sbatchCalls ?? "—"} | ${s.squeueCalls ?? "—"} | ${f(s.otherLoad, 0)} | ${s.loadAvg.map((x) => x.toFixed(1)).join("→")} |`,
    );
  const big = local.find((s) => s.jobs === 10_000);
  return [
    "# Launch at scale (issue #15)",
    "",
    "Generated by `node --import tsx bench/launch-scale.ts --slurm --report` (bench/launch-scale.ts); this section is replaced by a run with `--report` — do not edit by hand.",
    "",
    `Date: ${new Date().toISOString()} · one run of each, each in a fresh Node process (its peak RSS is its own).`,
    "",
    `Machine: ${cpus()[0]?.model ?? "?"} × ${availableParallelism()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}; workspace ${samples[0]?.workspaceFs ?? "?"}.`,
    "",
    "- **local**: a fan-out/fan-in graph of `/bin/true` jobs (root → N−2 middle jobs → final) on the LocalExecutor, maxParallel = CPUs (2). Wall time from `new Experiment` to `run()` returning.",
    `- **slurm**: N independent \`/bin/true\` jobs on the local cluster's SlurmExecutor (arrays on: jobs ready together go as job arrays), LocalTunnel. ${slurmConfig} Submitted: until every job has its Slurm id. sbatch/squeue calls: counted by shims on PATH.`,
    "- **driver CPU**: `process.cpuUsage()` of the driver process; **jobs' CPU**: its reaped children (wrappers, `/bin/true`; for Slurm, the sbatch/squeue/scontrol commands it ran — the jobs themselves run under slurmd); **peak RSS**: the driver's VmHWM. **Other load**: the rest of the machine's CPU use meanwhile (other helpers' work on this shared machine), % of both CPUs.",
    "",
    "| executor | jobs | all COMPLETED | wall, s | submitted, s | driver CPU, s | driver CPU per job, ms | jobs' CPU per job, ms | peak RSS, MB | sbatch calls | squeue calls | other load, % | load avg (1 min) start→end |",
    "| --- | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows(local),
    ...rows(slurm),
    "",
    big
      ? `Goal (issue #15): 10,000 local jobs in < ${GOAL_LOCAL_S} s on this 2-core machine: ${f(big.wallS, 1)} s — ${big.wallS < GOAL_LOCAL_S ? "**met**" : "**not met**"}.`
      : "",
  ].join("\n");
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf("--child");
  if (childAt >= 0) {
    const kind = process.argv[childAt + 1] as "local" | "slurm";
    const sample = await measureOne(kind, Number(process.argv[childAt + 2]));
    process.stdout.write(`${JSON.stringify(sample)}\n`);
    process.exit(0);
  }
  const samples: Sample[] = [];
  const kept = existsSync(samplesFile)
    ? (JSON.parse(readFileSync(samplesFile, "utf8")) as { samples: Sample[]; slurmConfig: string })
    : undefined;
  for (const jobs of LOCAL_SIZES) {
    const sample = runChild("local", jobs);
    console.log(JSON.stringify(sample));
    samples.push(sample);
  }
  let slurmConfig = kept?.slurmConfig ?? "";
  if (LOCAL_SIZES.length === 0) samples.push(...(kept?.samples ?? []).filter((s) => s.kind === "local"));
  if (!process.argv.includes("--slurm"))
    samples.push(...(kept?.samples ?? []).filter((s) => s.kind === "slurm"));
  else {
    slurmConfig =
      "Cluster: " +
      execFileSync(
        "bash",
        ["-c", "scontrol show config | grep -E '^(MaxArraySize|MaxJobCount)' | tr -s ' '"],
        {
          encoding: "utf8",
        },
      )
        .trim()
        .split("\n")
        .join(", ") +
      `, ${execFileSync("bash", ["-c", "sinfo -h -o %c"], { encoding: "utf8" }).trim()} CPUs for Slurm.`;
    const sample = runChild("slurm", SLURM_JOBS);
    console.log(JSON.stringify(sample));
    samples.push(sample);
  }
  writeFileSync(samplesFile, `${JSON.stringify({ samples, slurmConfig }, null, 2)}\n`);
  formatWithPrettier(samplesFile);
  const markdown = report(samples, slurmConfig);
  console.log(markdown);
  writeResultsSection(resultsFile, "launch-scale", markdown);
}

await main();
