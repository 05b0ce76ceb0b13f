// Slurm benchmark (`node --import tsx bench/slurm-array.ts`; not part of `npm test`).
//
// On the real local cluster (brought up here with SLURM_CPUS, default 16, oversubscribed for throughput),
// a sweep of N trivial jobs (`/bin/true`, default N=1000, SLURM_BENCH_JOBS to change):
//   - labrun, one job array: time until every job has its Slurm id (submission) and until the experiment has
//     ended (completion);
//   - labrun, N separate sbatch calls (`array: false`), the same two times;
//   - the Slurm commands labrun's status runs for all N jobs in one poll, and how long that poll takes;
//   - NeMo-Run's SlurmExecutor with its LocalTunnel on the same cluster and sweep (bench/peers/nemo_run_slurm.py,
//     run with /work/peers-venv/bin/python when it has nemo_run), which submits one sbatch per job.
// The table goes to stdout and to the "slurm" section of bench/RESULTS.md (the rest of the file is kept).

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Experiment, LocalTunnel, Script, SlurmExecutor } from "labrun";
import type { JobRef } from "labrun/extend";
import { cluster, findClusterScript } from "../test/slurm/cluster-script.js";
import { writeResultsSection } from "./results-file.js";

const N = Number(process.env.SLURM_BENCH_JOBS ?? 1000);
// NeMo-Run took about 6 minutes to submit 1000 jobs here and then kept checking their states: it runs a smaller
// sweep unless NEMO_BENCH_JOBS says otherwise.
const PEER_N = Number(process.env.NEMO_BENCH_JOBS ?? Math.min(N, 200));
const benchDir = fileURLToPath(new URL(".", import.meta.url));
const peerPython = process.env.PEER_PYTHON ?? "/work/peers-venv/bin/python";

interface SweepResult {
  readonly submitS: number;
  readonly totalS: number;
  readonly completed: number;
  readonly refs: JobRef[];
  /** The sweep's workspace, removed once its jobs have been polled. */
  readonly root: string;
}

async function labrunSweep(array: boolean): Promise<SweepResult> {
  const root = mkdtempSync(join(tmpdir(), "labrun-bench-slurm-"));
  const executor = new SlurmExecutor({ partition: "debug", time: "5", array, tunnel: new LocalTunnel() });
  const start = performance.now();
  const exp = new Experiment("slurm-bench", {
    executor,
    baseDir: root,
    cleanMode: true,
    systemMetricsIntervalMs: 0,
  });
  for (let i = 0; i < N; i++)
    exp.add(new Script({ path: "/bin/true", entrypoint: "" }), { name: `job-${i}` });
  const running = exp.run();
  let submitted = 0;
  while (!submitted) {
    if (exp.jobs.length === N && exp.jobs.every((job) => job.jobId)) submitted = performance.now();
    else await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const result = await running;
  const end = performance.now();
  const refs = exp.jobs.map((job) => ({ jobDir: job.directory, handle: job.jobId }));
  return {
    submitS: (submitted - start) / 1000,
    totalS: (end - start) / 1000,
    completed: result.jobs.filter((job) => job.state === "COMPLETED").length,
    refs,
    root,
  };
}

/** One status poll over every job, by a fresh executor (as `labrun experiment status` would do it). */
async function onePoll(refs: JobRef[]): Promise<{ commands: number; ms: number }> {
  const executor = new SlurmExecutor({ tunnel: new LocalTunnel() });
  const start = performance.now();
  await executor.status(refs);
  return { commands: executor.statusCommands, ms: performance.now() - start };
}

function nemoRun():
  { submit_s: number; total_s: number; completed: number; run_returned_s: number | null } | string {
  if (!existsSync(peerPython)) return `${peerPython} not found`;
  const result = spawnSync(peerPython, [join(benchDir, "peers", "nemo_run_slurm.py"), String(PEER_N)], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  // NeMo-Run's own thread may still print after the result line.
  const line = result.stdout.split("\n").findLast((text) => text.startsWith('{"peer"')) ?? "";
  try {
    return JSON.parse(line);
  } catch {
    return `failed: ${result.stderr.trim().split("\n").at(-1)}`;
  }
}

const s = (value: number) => `${value.toFixed(1)} s`;
const up = cluster("up", Number(process.env.SLURM_CPUS ?? 16));
if (up.status !== 0) {
  console.error(
    `Could not start the local Slurm cluster (${findClusterScript()} up):\n${up.stdout}\n${up.stderr}`,
  );
  process.exit(1);
}
const slurmVersion = execFileSync("sinfo", ["-V"], { encoding: "utf8" }).trim();
const node = execFileSync("scontrol", ["show", "node", "-o"], { encoding: "utf8" });
const slurmCpus = /CPUTot=(\d+)/.exec(node)?.[1] ?? "?";

const arrayRun = await labrunSweep(true);
const arrayPoll = await onePoll(arrayRun.refs);
const separateRun = await labrunSweep(false);
const separatePoll = await onePoll(separateRun.refs);
const peer = nemoRun();
for (const run of [arrayRun, separateRun]) rmSync(run.root, { recursive: true, force: true });

const rows = [
  `| labrun, one job array | 1 | ${s(arrayRun.submitS)} | ${s(arrayRun.totalS)} | ${arrayRun.completed}/${N} |`,
  `| labrun, separate jobs (\`array: false\`) | ${N} | ${s(separateRun.submitS)} | ${s(separateRun.totalS)} | ${separateRun.completed}/${N} |`,
  typeof peer === "string"
    ? `| NeMo-Run SlurmExecutor + LocalTunnel, ${PEER_N} jobs | ${PEER_N} | — | — | ${peer} |`
    : `| NeMo-Run SlurmExecutor + LocalTunnel, ${PEER_N} jobs | ${PEER_N} | ${s(peer.submit_s)} | ${s(peer.total_s)} | ${peer.completed}/${PEER_N} |`,
];
const markdown = `
## Slurm: a ${N}-job sweep as one array vs ${N} sbatch calls

Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version};
${slurmVersion}, one-node cluster from \`local-cluster.sh\` with ${slurmCpus} CPUs for Slurm; ${new Date().toISOString().slice(0, 16)}Z.
Each job runs \`/bin/true\`. Submission: from \`new Experiment\` until every job has its Slurm id; completion: until
\`run()\` returns (labrun); for NeMo-Run (\`run(detach=True)\`), the last job's SubmitTime and EndTime in Slurm. One run each.
${typeof peer === "string" ? "" : `NeMo-Run's \`run(detach=True)\` ${peer.run_returned_s === null ? "had not returned yet when Slurm had run every job" : `returned after ${s(peer.run_returned_s)}`} (after submitting, it checks each job's state with sacct).`}
${PEER_N < N ? `NeMo-Run runs ${PEER_N} jobs: with ${N}, it took about 6 minutes to submit them and \`run(detach=True)\` had not returned 3 minutes later on this machine (killed); \`NEMO_BENCH_JOBS=${N}\` runs it in full.` : ""}

| Sweep of ${N} jobs | sbatch calls | submission | completion | completed |
| --- | --- | --- | --- | --- |
${rows.join("\n")}

Status of all ${N} jobs in one poll (a fresh executor, as \`labrun experiment status\`): ${arrayPoll.commands} Slurm
command(s) in ${arrayPoll.ms.toFixed(0)} ms for the array's elements, ${separatePoll.commands} in ${separatePoll.ms.toFixed(0)} ms
for ${N} separate jobs (one \`squeue -r -t all -j …\`; \`scontrol\`/\`sacct\` only for jobs squeue has forgotten).

Reproduce: \`npm run build && SLURM_CPUS=${slurmCpus} node --import tsx bench/slurm-array.ts\` (starts the cluster)
(NeMo-Run: \`/work/peers-venv/bin/pip install nemo_run 'leptonai==0.27.3'\`, see bench/peers/README.md).
`;
console.log(markdown);
writeResultsSection(join(benchDir, "RESULTS.md"), "slurm", markdown);
