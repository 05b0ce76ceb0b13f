import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic-file.js";
import type { JobSubmission } from "../executor.js";
import { jobFile, shellQuote } from "../job-files.js";

/** The shell the local wrapper runs under: POSIX sh (dash on Debian starts in a third of bash's time). */
export const wrapperShell = "/bin/sh";

/**
 * The wrapper every local job runs under (POSIX sh). It records, in the job directory itself, its pid in
 * `started` and the command's exit code in `exit_code`; the times are those files' modification times (sh has
 * no clock without starting a process), so a job costs three files of its own: started, its logs, exit_code.
 */
export function localWrapperScript(job: JobSubmission): string {
  const env = { ...job.spec.env, ...job.labrunEnv };
  const exports = Object.entries(env).map(([key, value]) => `export ${key}=${shellQuote(value)}`);
  return [
    "#!/bin/sh",
    `# labrun job wrapper for "${job.jobName}" (experiment ${job.experimentId}): runs the command and records`,
    "# its pid and exit code here. Running it by hand overwrites this job's recorded outcome.",
    `JOB_DIR=${shellQuote(job.jobDir)}`,
    `echo "$$" > "$JOB_DIR/${jobFile.started}"`,
    // A trapped signal still reaches the command (same process group); the wrapper survives it to record the code.
    "trap ':' TERM INT HUP",
    ...exports,
    `cd -- ${shellQuote(job.spec.cwd)} 2>>"$JOB_DIR/${jobFile.stderr}" || { echo 1 > "$JOB_DIR/${jobFile.exitCode}"; exit 1; }`,
    `${job.spec.argv.map(shellQuote).join(" ")} >>"$JOB_DIR/${jobFile.stdout}" 2>>"$JOB_DIR/${jobFile.stderr}" </dev/null`,
    "rc=$?",
    `echo "$rc" > "$JOB_DIR/${jobFile.exitCode}"`,
    'exit "$rc"',
    "",
  ].join("\n");
}

/** Writes the wrapper as the job directory's launch.sh (executable) and returns its path. */
export function writeLocalWrapper(job: JobSubmission): string {
  const file = join(job.jobDir, jobFile.launch);
  writeFileAtomic(file, localWrapperScript(job), { mode: 0o755 });
  return file;
}
