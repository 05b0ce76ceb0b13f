import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { join } from "node:path";
import type { RunBatch, StoredRun } from "../../store/store.js";
import type { HttpStore } from "../../store/http/http-store.js";
import type { JsonFields, JsonValue } from "../../format/json-codec.js";
import { readJsonObject } from "../../format/json-file.js";
import { scanJsonl } from "../../format/jsonl-file.js";
import { unnamedMetricDir } from "../../format/names.js";
import { readParams } from "../params.js";
import { readFileRecords, storedFilePath } from "../run-files.js";
import type { RunInfo } from "../run-info.js";
import { subdirectories } from "../../util/subdirectories.js";

/** Points or log records per batch. */
const chunk = 5000;

export interface LocalSyncResult {
  readonly prefix: string;
  readonly created: boolean;
  readonly params: number;
  readonly points: number;
  readonly logs: number;
  readonly files: number;
  readonly status?: string;
}

const hash = (text: string, length = 12) => createHash("sha256").update(text).digest("hex").slice(0, length);

/**
 * Uploads one local run (its folder, ML-Dash's layout) to the server, sending only what the server does not
 * have yet: a stream's points from the server's count on, log records from its last sequence on, files whose
 * name and SHA-256 it does not hold, the final status if it differs. Every batch has a deterministic
 * `(clientId, seq)` (the run, the stream and the position of its first record), so a batch sent twice, by a
 * retry or by two syncs at once, is stored once. Assumes the server's copy of the run is written by sync only.
 */
export async function syncLocalRun(store: HttpStore, info: RunInfo): Promise<LocalSyncResult> {
  const dir = info.dir;
  const key = `sync.${hash(`${info.prefix}\n${info.createdAt ?? ""}`)}`;
  let run: StoredRun | undefined = await store.getRunByPrefix(info.prefix);
  const created = run === undefined;
  if (!run) {
    run = await store.upsertRun({
      prefix: info.prefix,
      ...(info.description !== null ? { description: info.description } : {}),
      tags: info.tags,
      bindrs: info.bindrs,
      ...(info.metadata ? { metadata: info.metadata } : {}),
    });
  }
  const runId = run.id;
  const send = (batch: RunBatch) => store.applyBatch(runId, batch);

  // Parameters: replacing them is idempotent; the document's version makes the batch's seq.
  const params = readParams(dir);
  const paramsDoc = readJsonObject(join(dir, "parameters.json"));
  const paramCount = Object.keys(params).length;
  if (paramCount > 0) {
    const version = typeof paramsDoc?.version === "number" && paramsDoc.version > 0 ? paramsDoc.version : 1;
    await send({ clientId: `${key}.params`, seq: version, params });
  }

  // Metric streams (and tracks, as the remote sink sends them: stream `track.<topic>`).
  const serverCounts = new Map((await store.listMetricStreams(runId)).map((s) => [s.stream, s.count]));
  let points = 0;
  const streams: { stream: string; file: string; track: boolean }[] = [
    ...subdirectories(join(dir, "metrics")).map((folder) => ({
      stream: folder === unnamedMetricDir ? "" : folder,
      file: join(dir, "metrics", folder, "data.jsonl"),
      track: false,
    })),
    ...subdirectories(join(dir, "tracks")).map((folder) => ({
      stream: `track.${folder}`,
      file: join(dir, "tracks", folder, "data.jsonl"),
      track: true,
    })),
  ];
  for (const { stream, file, track } of streams) {
    const from = serverCounts.get(stream) ?? 0;
    const pending: { fields: Record<string, JsonValue>; ts: number }[] = [];
    let position = 0;
    await scanJsonl(file, (record) => {
      if (position++ < from) return;
      if (track) {
        const { timestamp, ...fields } = record as { timestamp?: unknown } & JsonFields;
        pending.push({
          fields: fields as Record<string, JsonValue>,
          ts: typeof timestamp === "number" ? timestamp : 0,
        });
      } else {
        const data = (record.data ?? {}) as { _ts?: unknown } & JsonFields;
        const { _ts, ...fields } = data;
        const ts = typeof _ts === "number" ? _ts : Date.parse(String(record.createdAt ?? "")) / 1000 || 0;
        pending.push({ fields: fields as Record<string, JsonValue>, ts });
      }
    });
    const clientId = `${key}.m.${hash(stream, 10)}`;
    for (let start = 0; start < pending.length; start += chunk) {
      await send({
        clientId,
        seq: from + start + 1,
        metrics: [{ stream, points: pending.slice(start, start + chunk) }],
      });
    }
    points += pending.length;
  }

  // Log records, from the server's count on (its sequence numbers start at 0 and have no gaps).
  const last = await store.queryLogs(runId, { tail: 1 });
  const logFrom = last.length > 0 ? last[last.length - 1]!.sequence + 1 : 0;
  const logs: NonNullable<RunBatch["logs"]>[number][] = [];
  let position = 0;
  await scanJsonl(join(dir, "logs", "logs.jsonl"), (record) => {
    if (position++ < logFrom) return;
    const level = String(record.level ?? "info").toLowerCase();
    logs.push({
      level: (["debug", "info", "warn", "error", "fatal"].includes(level) ? level : "info") as "info",
      message: typeof record.message === "string" ? record.message : JSON.stringify(record.message ?? ""),
      ...(typeof record.metadata === "object" && record.metadata !== null && !Array.isArray(record.metadata)
        ? { metadata: record.metadata as Record<string, JsonValue> }
        : {}),
      timestamp: typeof record.timestamp === "string" ? record.timestamp : new Date().toISOString(),
    });
  });
  for (let start = 0; start < logs.length; start += chunk) {
    await send({ clientId: `${key}.logs`, seq: logFrom + start + 1, logs: logs.slice(start, start + chunk) });
  }

  // Files the server does not hold (same folder, name and content).
  const remoteFiles = await store.listFiles(runId);
  const held = new Set(remoteFiles.map((f) => `${f.prefix}\n${f.filename}\n${f.sha256}`));
  let files = 0;
  for (const record of readFileRecords(dir)) {
    const folder = record.path.replace(/^\/+|\/+$/g, "");
    if (held.has(`${folder}\n${record.filename}\n${record.checksum}`)) continue;
    const source = storedFilePath(dir, record);
    if (!existsSync(source)) continue;
    await store.uploadFile(runId, createReadStream(source), {
      prefix: folder,
      filename: record.filename,
      sha256: record.checksum,
      contentType: record.contentType,
    });
    files++;
  }

  // The final status, when the local run has one the server does not show yet; UNKNOWN for none.
  let status: string | undefined;
  const final = info.status === "COMPLETED" || info.status === "FAILED" || info.status === "CANCELLED";
  const current = (await store.getRun(runId))?.status;
  if (final && current !== info.status) {
    const reason = info.error?.message ?? info.statusReason ?? undefined;
    await store.updateRun(runId, {
      status: {
        status: info.status as "COMPLETED",
        ...(reason ? { error: reason } : {}),
        ...(info.endedAt ? { at: info.endedAt } : {}),
      },
    });
    status = info.status;
  } else if (info.status === "UNKNOWN" && current === "RUNNING") {
    // A run that recorded no status (ML-Dash's local mode) is not running on the server either.
    await store.updateRun(runId, { status: { status: "UNKNOWN" } });
    status = "UNKNOWN";
  }
  return {
    prefix: info.prefix,
    created,
    params: paramCount,
    points,
    logs: logs.length,
    files,
    ...(status ? { status } : {}),
  };
}
