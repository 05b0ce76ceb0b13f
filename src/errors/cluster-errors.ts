import { LabrunError } from "./labrun-error.js";

/** The SSH connection to a cluster could not be opened or broke (exit code 255 of `ssh`). */
export class TunnelError extends LabrunError {
  override readonly code = "TUNNEL_FAILED";
  constructor(endpoint: string, message: string) {
    super(
      `Could not reach ${endpoint} over SSH: ${message}. Check that \`ssh\` to that host works without a prompt ` +
        "(key in the agent or `identity`, host key known), or set `interactive: true` to be asked once.",
      { details: { endpoint, message } },
    );
  }
}

/** sbatch refused a job (bad partition, bad time format, over a limit); nothing of the batch was submitted. */
export class SlurmSubmitError extends LabrunError {
  override readonly code = "SLURM_SUBMIT_REJECTED";
  constructor(jobName: string, slurmMessage: string) {
    super(
      `Slurm rejected job ${jobName}: ${slurmMessage}. Fix the SlurmExecutor option it names ` +
        "(`partition`, `time`, `mem`, `account`, …; `sinfo` lists partitions and limits) and run again.",
      { details: { jobName, slurmMessage } },
    );
  }
}

/** A packager was asked to ship a repository with changes that are not committed. */
export class UncommittedChangesError extends LabrunError {
  override readonly code = "PACKAGE_UNCOMMITTED";
  constructor(repository: string, files: readonly string[]) {
    super(
      `The git repository ${repository} has uncommitted or untracked changes (${files.slice(0, 5).join(", ")}` +
        `${files.length > 5 ? ", …" : ""}) that GitArchivePackager would leave out. Commit them, or pass ` +
        "`includeUncommitted: true` to ship the working tree as it is.",
      { details: { repository, files: [...files] } },
    );
  }
}

/** Packaging the code for a cluster failed (not a git repository, no file matched, tar failed). */
export class PackagingError extends LabrunError {
  override readonly code = "PACKAGE_FAILED";
}
