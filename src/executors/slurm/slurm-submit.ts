import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { SlurmSubmitError, TunnelError } from "../../errors.js";
import type { JobSubmission } from "../executor.js";
import { clearOutcome, prepareJobDir, shellQuote, wrapperScript } from "../job-files.js";
import { writeFilesScript } from "../tunnel/process-run.js";
import type { Tunnel } from "../tunnel/tunnel.js";
import { arrayJobScript, singleJobScript } from "./sbatch-script.js";
import type { SlurmResources } from "./sbatch-script.js";

/** One job ready to go: its local submission and the same job as the cluster sees it. */
export interface PreparedJob {
  readonly local: JobSubmission;
  readonly remote: JobSubmission;
}

export const sbatchFile = "sbatch.sh";
export const arrayBundle = "slurm-array";

/** Writes the job's files, wrapper and (for a single job) sbatch script into its local job directory. */
export function writeLocalFiles(job: PreparedJob): void {
  prepareJobDir(job.local);
  clearOutcome(job.local.jobDir);
  const launch = join(job.local.jobDir, "launch.sh");
  writeFileSync(launch, wrapperScript(job.remote), { mode: 0o755 });
}

function dependencyFlags(dependsOn: readonly string[] | undefined): string {
  // Slurm would otherwise keep a job whose dependency failed PENDING forever (DependencyNeverSatisfied).
  return dependsOn?.length ? ` --dependency=afterok:${dependsOn.join(":")} --kill-on-invalid-dep=yes` : "";
}

function clearRemoteOutcome(dirs: readonly string[]): string {
  const files = dirs.flatMap((dir) =>
    ["exit_code", "ended_at", "started"].map((f) => shellQuote(`${dir}/${f}`)),
  );
  // Chunked: one rm per 300 files keeps each command line short.
  const lines: string[] = [];
  for (let i = 0; i < files.length; i += 300) lines.push(`rm -f ${files.slice(i, i + 300).join(" ")}`);
  return lines.join("\n");
}

/** Runs sbatch on the cluster; returns the job id or throws Slurm's reason. */
async function sbatch(
  tunnel: Tunnel,
  prelude: string,
  script: string,
  jobName: string,
  flags: string,
): Promise<string> {
  let result;
  try {
    result = await tunnel.exec(`${prelude}\nsbatch --parsable${flags} ${shellQuote(script)}`);
  } catch (error) {
    if (error instanceof TunnelError) throw error;
    throw new SlurmSubmitError(jobName, (error as Error).message);
  }
  const id = result.stdout.trim().split("\n").at(-1)?.split(";")[0]?.trim();
  if (result.code !== 0 || !id || !/^\d+$/.test(id))
    throw new SlurmSubmitError(
      jobName,
      result.stderr.replace(/^sbatch: error: /gm, "").trim() || `sbatch exited with code ${result.code}`,
    );
  return id;
}

/** Submits one job; its sbatch script is `<job dir>/sbatch.sh` (written here and on the cluster). */
export async function submitSingle(
  tunnel: Tunnel,
  job: PreparedJob,
  resources: SlurmResources,
  jobName: string,
): Promise<string> {
  const script = singleJobScript({ jobName, dir: job.remote.jobDir, resources });
  writeFileSync(join(job.local.jobDir, sbatchFile), script);
  if (!tunnel.sharedFilesystem)
    await tunnel.putDirectory(job.local.jobDir, job.remote.jobDir, { exclude: ["./job.lock"] });
  const prelude = clearRemoteOutcome(tunnel.sharedFilesystem ? [] : [job.remote.jobDir]);
  return sbatch(
    tunnel,
    prelude,
    `${job.remote.jobDir}/${sbatchFile}`,
    jobName,
    dependencyFlags(job.remote.dependsOn),
  );
}

/**
 * Submits jobs as one array; returns `<array id>_<index>` per job. The array script and the list of the
 * elements' job directories live in `<first job dir>/slurm-array/`, with Slurm's messages of each element.
 */
export async function submitArrayJobs(
  tunnel: Tunnel,
  jobs: readonly PreparedJob[],
  resources: SlurmResources,
  jobName: string,
  throttle: number | undefined,
): Promise<string[]> {
  const first = jobs[0]!;
  const localBundle = join(first.local.jobDir, arrayBundle);
  const bundleDir = `${first.remote.jobDir}/${arrayBundle}`;
  const dirs = jobs.map((job) => job.remote.jobDir);
  const script = arrayJobScript({
    jobName,
    bundleDir,
    dirs,
    ...(throttle ? { throttle } : {}),
    resources,
  });
  if (!tunnel.sharedFilesystem) await putJobDirs(tunnel, jobs);
  const files = [{ path: `${bundleDir}/${sbatchFile}`, content: script }];
  // A local copy to read, whichever side the cluster is on.
  mkdirSync(localBundle, { recursive: true });
  writeFileSync(join(localBundle, sbatchFile), script);
  const prelude = [
    tunnel.sharedFilesystem ? "" : writeFilesScript(files),
    tunnel.sharedFilesystem ? "" : clearRemoteOutcome(dirs),
  ].join("\n");
  const id = await sbatch(
    tunnel,
    prelude,
    `${bundleDir}/${sbatchFile}`,
    jobName,
    dependencyFlags(first.remote.dependsOn),
  );
  return jobs.map((_, index) => `${id}_${index}`);
}

/** Copies many job directories with one transfer per parent folder (`jobs/<task>/`) they share. */
async function putJobDirs(tunnel: Tunnel, jobs: readonly PreparedJob[]): Promise<void> {
  const byParent = new Map<string, { remote: string; members: string[] }>();
  for (const job of jobs) {
    const local = dirname(job.local.jobDir);
    const entry = byParent.get(local) ?? { remote: dirname(job.remote.jobDir), members: [] };
    entry.members.push(basename(job.local.jobDir));
    byParent.set(local, entry);
  }
  for (const [local, { remote, members }] of byParent)
    await tunnel.putDirectory(local, remote, { members, exclude: ["*/job.lock"] });
}
