import { InvalidPrefixError } from "../errors.js";
import { compileUserRegex } from "../util/user-regex.js";
import type { JsonValue } from "../format/json-codec.js";
import { encodeJson } from "../format/json-codec.js";
import { checkFileName, checkStreamName, normaliseFileFolder, parsePrefix } from "../format/names.js";
import type {
  LogQuery,
  MetricRange,
  NewFile,
  NewToken,
  RunBatch,
  RunPatch,
  RunQuery,
  RunUpsert,
  StatusChange,
} from "./store.js";
import {
  checkNumber,
  checkObject,
  checkString,
  checkStringList,
  checkTime,
  fail,
} from "./validate-values.js";

/** The sizes a store accepts; above them a call fails with TRACKING_VALUE before anything is written. */
export const storeLimits = Object.freeze({
  prefixLength: 1024,
  descriptionLength: 64 * 1024,
  tags: 1000,
  tagLength: 256,
  metadataBytes: 1024 * 1024,
  paramKeyLength: 250,
  paramValueBytes: 64 * 1024,
  paramsPerBatch: 10_000,
  pointsPerBatch: 1_000_000,
  fieldsPerPoint: 10_000,
  fieldNameLength: 250,
  fieldValueBytes: 64 * 1024,
  logsPerBatch: 100_000,
  logMessageLength: 1024 * 1024,
  clientIdLength: 200,
  maxPoints: 100_000,
  logQueryLimit: 100_000,
  runPageLimit: 1000,
});

export const runStatuses = ["RUNNING", "COMPLETED", "FAILED", "CANCELLED", "UNKNOWN"] as const;
export const logLevels = ["debug", "info", "warn", "error", "fatal"] as const;

/** A run prefix (≥ 2 segments, as for local runs) of bounded length. */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix === "string" && prefix.length > storeLimits.prefixLength) {
    throw new InvalidPrefixError(
      prefix.slice(0, 80) + "…",
      `it is longer than ${storeLimits.prefixLength} characters`,
    );
  }
  return parsePrefix(prefix as string).prefix;
}

/** A search prefix: like a run prefix, but one segment (an owner) is enough. */
export function checkSearchPrefix(prefix: unknown): string {
  if (typeof prefix !== "string") throw new InvalidPrefixError(String(prefix), "it is not a string");
  if (!prefix.includes("/")) parsePrefix(`${prefix}/x`);
  else checkPrefix(prefix);
  return prefix;
}

function checkTags(what: string, tags: unknown): readonly string[] {
  return checkStringList(what, tags, storeLimits.tags, storeLimits.tagLength);
}

export function checkUpsert(run: RunUpsert): RunUpsert {
  checkObject("run", run);
  checkPrefix(run.prefix);
  if (run.description !== undefined)
    checkString("description", run.description, storeLimits.descriptionLength);
  if (run.tags !== undefined) checkTags("tags", run.tags);
  if (run.bindrs !== undefined) checkTags("bindrs", run.bindrs);
  if (run.metadata !== undefined) checkJsonObject("metadata", run.metadata, storeLimits.metadataBytes);
  return run;
}

export function checkPatch(patch: RunPatch): RunPatch {
  checkObject("patch", patch);
  if (patch.description !== undefined)
    checkString("description", patch.description, storeLimits.descriptionLength);
  if (patch.tags !== undefined) checkTags("tags", patch.tags);
  if (patch.bindrs !== undefined) checkTags("bindrs", patch.bindrs);
  if (patch.status !== undefined) checkStatus(patch.status);
  if (patch.metadata !== undefined) checkJsonObject("metadata", patch.metadata, storeLimits.metadataBytes);
  return patch;
}

function checkStatus(status: StatusChange): void {
  checkObject("status", status);
  if (!runStatuses.includes(status.status)) {
    fail("status.status", `must be one of ${runStatuses.join(", ")}`, status.status);
  }
  if (status.error !== undefined) checkString("status.error", status.error, storeLimits.descriptionLength);
  if (status.at !== undefined) checkTime("status.at", status.at);
}

/** Metric times are seconds since the epoch, before the year 10000 (the range of ISO 8601 dates). */
export const maxTimestamp = 253_402_300_800;

/** `__proto__` survives JSON.parse but no object copy: refused rather than silently dropped. */
function checkKey(what: string, key: string): void {
  if (key === "__proto__")
    fail(what, 'may not be "__proto__" (it cannot be stored faithfully): rename it', key);
}

function checkJsonObject(what: string, value: unknown, maxBytes: number): void {
  checkObject(what, value);
  for (const key of Object.keys(value as object)) checkKey(`${what} key`, key);
  const text = encodeJson(value, what);
  if (text.length > maxBytes) fail(what, `is ${text.length} bytes of JSON, more than ${maxBytes}`);
}

/** Checks a whole batch before any of it is stored. */
export function checkBatch(batch: RunBatch): RunBatch {
  checkObject("batch", batch);
  checkString("clientId", batch.clientId, storeLimits.clientIdLength, 1);
  checkNumber("seq", batch.seq, { integer: true, min: 0 });
  if (batch.params !== undefined) {
    checkObject("params", batch.params);
    const keys = Object.keys(batch.params);
    if (keys.length > storeLimits.paramsPerBatch)
      fail("params", `has more than ${storeLimits.paramsPerBatch} keys`);
    for (const key of keys) {
      checkString(`params key`, key, storeLimits.paramKeyLength, 1);
      checkKey("params key", key);
      const text = encodeJson(batch.params[key], `params.${key}`);
      if (text.length > storeLimits.paramValueBytes) {
        fail(`params.${key}`, `is ${text.length} bytes of JSON, more than ${storeLimits.paramValueBytes}`);
      }
    }
  }
  if (batch.immutableParams !== undefined && typeof batch.immutableParams !== "boolean") {
    fail("immutableParams", "must be a boolean", batch.immutableParams);
  }
  if (batch.metrics !== undefined) {
    if (!Array.isArray(batch.metrics)) fail("metrics", "must be an array", batch.metrics);
    let points = 0;
    for (const append of batch.metrics) {
      checkObject("metrics[]", append);
      checkMetricStream(append.stream);
      if (!Array.isArray(append.points))
        fail(`metrics "${append.stream}" points`, "must be an array", append.points);
      points += append.points.length;
      if (points > storeLimits.pointsPerBatch)
        fail("metrics", `hold more than ${storeLimits.pointsPerBatch} points`);
      for (const point of append.points) checkPoint(append.stream, point);
    }
  }
  if (batch.logs !== undefined) {
    if (!Array.isArray(batch.logs)) fail("logs", "must be an array", batch.logs);
    if (batch.logs.length > storeLimits.logsPerBatch)
      fail("logs", `hold more than ${storeLimits.logsPerBatch} records`);
    for (const log of batch.logs) {
      checkObject("logs[]", log);
      if (!logLevels.includes(log.level))
        fail("logs[].level", `must be one of ${logLevels.join(", ")}`, log.level);
      checkString("logs[].message", log.message, storeLimits.logMessageLength);
      checkTime("logs[].timestamp", log.timestamp);
      if (log.metadata !== undefined)
        checkJsonObject("logs[].metadata", log.metadata, storeLimits.metadataBytes);
    }
  }
  if (batch.status !== undefined) checkStatus(batch.status);
  if (batch.description !== undefined)
    checkString("description", batch.description, storeLimits.descriptionLength);
  if (batch.tags !== undefined) checkTags("tags", batch.tags);
  return batch;
}

/** A metric stream name: `""` (the unnamed stream) or one path segment. */
export function checkMetricStream(stream: unknown): string {
  if (stream === "") return "";
  return checkStreamName("Metric name", stream as string);
}

function checkPoint(
  stream: string,
  point: { fields: Readonly<Record<string, JsonValue>>; ts: number },
): void {
  checkObject("metric point", point);
  // NaN and ±Infinity are legal field values (stored as numbers); a time must be a real time.
  checkNumber(`metrics "${stream}" point ts`, point.ts, { finite: true, min: 0, max: maxTimestamp });
  checkObject(`metrics "${stream}" point fields`, point.fields);
  let n = 0;
  for (const key in point.fields) {
    if (++n > storeLimits.fieldsPerPoint)
      fail(`metrics "${stream}" point`, `has more than ${storeLimits.fieldsPerPoint} fields`);
    if (key.length === 0 || key.length > storeLimits.fieldNameLength) {
      fail(`metrics "${stream}" field name`, `must have 1 to ${storeLimits.fieldNameLength} characters`, key);
    }
    checkKey(`metrics "${stream}" field name`, key);
    const value = point.fields[key];
    const type = typeof value;
    if (type === "number" || type === "boolean" || value === null) continue;
    if (type === "string") {
      if ((value as string).length > storeLimits.fieldValueBytes)
        fail(`metrics "${stream}" field ${key}`, "is too long");
      continue;
    }
    const text = encodeJson(value, `metrics "${stream}" field ${key}`);
    if (text.length > storeLimits.fieldValueBytes) fail(`metrics "${stream}" field ${key}`, "is too large");
  }
}

export function checkRange(range: MetricRange | undefined): MetricRange | undefined {
  if (range === undefined) return undefined;
  checkObject("range", range);
  if (range.by !== undefined) checkString("by", range.by, storeLimits.fieldNameLength, 1);
  const byIndex = range.by === undefined || range.by === "index";
  if (range.from !== undefined) checkNumber("from", range.from, byIndex ? { integer: true, min: 0 } : {});
  if (range.to !== undefined) checkNumber("to", range.to, byIndex ? { integer: true, min: 0 } : {});
  if (range.last !== undefined) checkNumber("last", range.last, { integer: true, min: 0 });
  for (const flag of ["edges", "approximate"] as const)
    if (range[flag] !== undefined && typeof range[flag] !== "boolean")
      fail(flag, "must be true or false", range[flag]);
  if (range.maxPoints !== undefined) {
    checkNumber("maxPoints", range.maxPoints, { integer: true, min: 1, max: storeLimits.maxPoints });
  }
  if (range.fields !== undefined)
    checkStringList("fields", range.fields, storeLimits.fieldsPerPoint, storeLimits.fieldNameLength);
  return range;
}

export function checkLogQuery(query: LogQuery | undefined): LogQuery | undefined {
  if (query === undefined) return undefined;
  checkObject("log query", query);
  if (query.levels !== undefined) {
    if (!Array.isArray(query.levels)) fail("levels", "must be an array", query.levels);
    for (const level of query.levels)
      if (!logLevels.includes(level)) fail("levels", `must be among ${logLevels.join(", ")}`, level);
  }
  if (query.regex !== undefined) {
    checkString("regex", query.regex, 1000);
    compileUserRegex(query.regex);
  }
  if (query.since !== undefined) checkTime("since", query.since);
  if (query.until !== undefined) checkTime("until", query.until);
  if (query.tail !== undefined)
    checkNumber("tail", query.tail, { integer: true, min: 1, max: storeLimits.logQueryLimit });
  if (query.limit !== undefined)
    checkNumber("limit", query.limit, { integer: true, min: 1, max: storeLimits.logQueryLimit });
  if (query.afterSequence !== undefined)
    checkNumber("afterSequence", query.afterSequence, { integer: true, min: -1 });
  return query;
}

export function checkRunQuery(query: RunQuery): RunQuery {
  checkObject("run query", query);
  if (query.prefix !== undefined) checkSearchPrefix(query.prefix);
  if (query.project !== undefined) checkString("project", query.project, storeLimits.prefixLength, 1);
  if (query.tag !== undefined) checkString("tag", query.tag, storeLimits.tagLength, 1);
  if (query.status !== undefined && !runStatuses.includes(query.status)) {
    fail("status", `must be one of ${runStatuses.join(", ")}`, query.status);
  }
  if (query.params !== undefined) {
    checkObject("params", query.params);
    for (const key of Object.keys(query.params)) encodeJson(query.params[key], `params.${key}`);
  }
  if (query.sort !== undefined) {
    const metric =
      typeof query.sort === "string" && query.sort.startsWith("metric:")
        ? query.sort.slice("metric:".length)
        : undefined;
    if (metric !== undefined)
      checkString("sort", metric, storeLimits.prefixLength + storeLimits.fieldNameLength + 1, 1);
    else if (!["createdAt", "updatedAt", "prefix", "status"].includes(query.sort))
      fail("sort", "must be one of createdAt, updatedAt, prefix, status, metric:<stream.field>", query.sort);
  }
  if (query.order !== undefined && query.order !== "asc" && query.order !== "desc") {
    fail("order", "must be asc or desc", query.order);
  }
  if (query.limit !== undefined)
    checkNumber("limit", query.limit, { integer: true, min: 1, max: storeLimits.runPageLimit });
  if (query.cursor !== undefined) checkString("cursor", query.cursor, 4096, 1);
  return query;
}

/** Checks a file record and normalises its folder (`"/models/"` → `"models"`, root → `""`). */
export function checkNewFile(file: NewFile): NewFile {
  checkObject("file", file);
  const prefix = normaliseFileFolder(file.prefix).slice(1);
  checkFileName(file.filename);
  checkNumber("size", file.size, { integer: true, min: 0 });
  if (typeof file.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(file.sha256)) {
    fail("sha256", "must be 64 lower-case hex digits", file.sha256);
  }
  if (file.contentType !== undefined) checkString("contentType", file.contentType, 255);
  checkString("storageKey", file.storageKey, 4096, 1);
  return { ...file, prefix };
}

/** A file folder for listing (normalised like `checkNewFile`). */
export function checkFileFolder(prefix: string | undefined): string | undefined {
  return prefix === undefined ? undefined : normaliseFileFolder(prefix).slice(1);
}

export function checkNewToken(token: NewToken): NewToken {
  checkObject("token", token);
  if (token.project !== "*") {
    checkString("project", token.project, storeLimits.tagLength, 1);
    if (token.project.includes("/") || token.project === "." || token.project === "..") {
      fail("project", 'must be one prefix segment (the 2nd of "owner/project/…") or "*"', token.project);
    }
  }
  if (token.readOnly !== undefined && typeof token.readOnly !== "boolean")
    fail("readOnly", "must be a boolean", token.readOnly);
  if (token.expiresAt !== undefined) {
    checkTime("expiresAt", token.expiresAt);
    if (Date.parse(token.expiresAt) <= Date.now()) fail("expiresAt", "is in the past", token.expiresAt);
  }
  if (token.description !== undefined) checkString("description", token.description, 1000);
  return token;
}
