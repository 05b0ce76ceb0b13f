import { existsSync } from "node:fs";
import { join } from "node:path";
import type { JobRef, LogLine, LogOptions } from "../executor.js";
import { jobFile } from "../job-files.js";
import { followChunks, followLines } from "../../workspace/log-follower.js";
import type { Tunnel } from "../tunnel/tunnel.js";

/**
 * A job's stdout.log and stderr.log lines: read here on a shared filesystem (or once the job directory has
 * been brought back), else over the tunnel, fetching only the bytes not read before.
 */
export function slurmLogs(
  tunnel: Tunnel,
  job: JobRef,
  options: LogOptions,
  isDone: () => Promise<boolean>,
): AsyncIterable<LogLine> {
  if (tunnel.sharedFilesystem || existsSync(join(job.jobDir, jobFile.exitCode)))
    return followLines(
      [
        { file: join(job.jobDir, jobFile.stdout), stream: "stdout" as const },
        { file: join(job.jobDir, jobFile.stderr), stream: "stderr" as const },
      ],
      { ...options, isDone },
    );
  return remoteLines(tunnel, job, options, isDone);
}

function remoteLines(
  tunnel: Tunnel,
  job: JobRef,
  options: LogOptions,
  isDone: () => Promise<boolean>,
): AsyncIterable<LogLine> {
  const dir = tunnel.remoteJobDir(job.jobDir);
  return followChunks(
    (["stdout", "stderr"] as const).map((stream) => ({ stream, path: `${dir}/${stream}.log` })),
    (reads) => tunnel.readFrom(reads),
    { ...options, isDone, pollMs: 300 },
  );
}
