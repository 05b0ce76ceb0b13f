import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { JobRef, LogLine, LogOptions } from "../executor.js";
import { jobFile } from "../job-files.js";
import { followLines } from "../../workspace/log-follower.js";
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

async function* remoteLines(
  tunnel: Tunnel,
  job: JobRef,
  options: LogOptions,
  isDone: () => Promise<boolean>,
): AsyncGenerator<LogLine> {
  const dir = tunnel.remoteJobDir(job.jobDir);
  const readers = (["stdout", "stderr"] as const).map((stream) => ({
    stream,
    path: `${dir}/${stream}.log`,
    offset: 0,
    pending: "",
  }));
  const readAll = async function* (): AsyncGenerator<LogLine> {
    const chunks = await tunnel.readFrom(readers.map(({ path, offset }) => ({ path, offset })));
    for (const [i, reader] of readers.entries()) {
      const chunk = chunks[i];
      if (!chunk || chunk.length === 0) continue;
      reader.offset += chunk.length;
      const lines = (reader.pending + chunk.toString("utf8")).split("\n");
      reader.pending = lines.pop() ?? "";
      for (const line of lines) yield { stream: reader.stream, line };
    }
  };
  for (;;) {
    const before = readers.reduce((sum, r) => sum + r.offset, 0);
    yield* readAll();
    if (!options.follow || options.signal?.aborted) break;
    if (readers.reduce((sum, r) => sum + r.offset, 0) > before) continue;
    if (await isDone()) {
      yield* readAll();
      break;
    }
    await sleep(300, undefined, { signal: options.signal }).catch(() => undefined);
  }
  for (const reader of readers) if (reader.pending) yield { stream: reader.stream, line: reader.pending };
}
