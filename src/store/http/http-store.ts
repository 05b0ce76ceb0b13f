import type { JsonValue } from "../../format/json-codec.js";
import type {
  BatchResult,
  LogQuery,
  MetricRange,
  MetricSeries,
  MetricStreamSummary,
  NewFile,
  RunBatch,
  RunPatch,
  RunPage,
  RunQuery,
  RunUpsert,
  Store,
  StoreCapabilities,
  StoredFile,
  StoredLog,
  StoredRun,
} from "../store.js";
import { HttpClient, type HttpClientOptions } from "./http-client.js";
import { decodeWireDeep as decodeDeep } from "../../format/wire-json.js";
import { decodeSeries, encodePoint } from "./wire.js";
import { unnamedMetricDir } from "../../format/names.js";

/** The server names the unnamed stream `None`; a Store names it `""`. */
const storeStream = (name: string): string => (name === unnamedMetricDir ? "" : name);

export type HttpStoreOptions = HttpClientOptions;

export interface UploadOptions {
  /** Folder-like prefix (`models`), as in `run.files("models")`. */
  readonly prefix?: string;
  readonly filename: string;
  /** Lower-case hex SHA-256; the server checks the bytes against it. */
  readonly sha256?: string;
  readonly contentType?: string;
}

const enc = encodeURIComponent;

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "RUN_NOT_FOUND" || code === "FILE_NOT_FOUND" || code === "NOT_FOUND";
}

/**
 * The Store interface over a labrun server's HTTP API (`labrun serve`): what an SDK in remote mode and
 * `labrun sync` talk to. Errors come back as the server's classes (`RunNotFoundError`, …).
 *
 * `addFile` is not offered (a client cannot place bytes in the server's file storage): upload with
 * `uploadFile`, which stores the bytes and their record in one request.
 *
 * @example
 * const store = new HttpStore({ url: "http://127.0.0.1:4400", token: process.env.LABRUN_TOKEN });
 * const run = await store.upsertRun({ prefix: "alice/vision/resnet" });
 * await store.applyBatch(run.id, { clientId: "c1", seq: 1, params: { lr: 0.001 } });
 */
export class HttpStore implements Store {
  readonly kind = "http";
  readonly capabilities: StoreCapabilities = Object.freeze({
    concurrentReaders: true,
    serverSideDownsampling: true,
  });
  readonly client: HttpClient;
  #closed = false;

  constructor(options: HttpStoreOptions) {
    this.client = new HttpClient(options);
  }

  get url(): string {
    return this.client.url;
  }

  /** `GET /api/health`. */
  async health(): Promise<{ ok: boolean; version?: string; store?: string }> {
    return this.#json("GET", "/api/health");
  }

  async upsertRun(run: RunUpsert): Promise<StoredRun> {
    return (await this.#json<{ run: StoredRun }>("POST", "/api/runs", { json: run })).run;
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    return this.#orUndefined(
      async () => (await this.#json<{ run: StoredRun }>("GET", `/api/runs/${enc(runId)}`)).run,
    );
  }

  async getRunByPrefix(prefix: string): Promise<StoredRun | undefined> {
    return this.#orUndefined(
      async () =>
        (await this.#json<{ run: StoredRun }>("GET", "/api/runs/by-prefix", { query: { prefix } })).run,
    );
  }

  async searchRuns(query: RunQuery): Promise<RunPage> {
    const params: Record<string, string | number | undefined> = {
      prefix: query.prefix,
      project: query.project,
      tag: query.tag,
      status: query.status,
      sort: query.sort,
      order: query.order,
      limit: query.limit,
      cursor: query.cursor,
    };
    for (const [key, value] of Object.entries(query.params ?? {})) {
      params[`param.${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    const page = await this.#json<RunPage>("GET", "/api/runs", { query: params });
    return {
      ...page,
      runs: page.runs.map((run) => ({
        ...run,
        latestMetrics: decodeDeep(run.latestMetrics as never) as Record<string, JsonValue>,
      })),
    };
  }

  /** Changes description, tags, bindrs or status (`PATCH /api/runs/:id`). */
  async updateRun(runId: string, patch: RunPatch): Promise<StoredRun> {
    return (await this.#json<{ run: StoredRun }>("PATCH", `/api/runs/${enc(runId)}`, { json: patch })).run;
  }

  async deleteRun(runId: string): Promise<void> {
    await this.#json("DELETE", `/api/runs/${enc(runId)}`);
  }

  async applyBatch(runId: string, batch: RunBatch): Promise<BatchResult> {
    const wire: RunBatch = batch.metrics
      ? {
          ...batch,
          metrics: batch.metrics.map((m) => ({ stream: m.stream, points: m.points.map(encodePoint) })),
        }
      : batch;
    return this.#json("POST", `/api/runs/${enc(runId)}/batches`, { json: wire });
  }

  async getParams(runId: string): Promise<Readonly<Record<string, JsonValue>>> {
    const { params } = await this.#json<{ params: Record<string, JsonValue> }>(
      "GET",
      `/api/runs/${enc(runId)}/params`,
    );
    return decodeDeep(params) as Record<string, JsonValue>;
  }

  async listMetricStreams(runId: string): Promise<readonly MetricStreamSummary[]> {
    const { streams } = await this.#json<{ streams: MetricStreamSummary[] }>(
      "GET",
      `/api/runs/${enc(runId)}/metrics`,
    );
    return streams.map((stream) => ({
      ...stream,
      stream: storeStream(stream.stream),
      summary: decodeDeep(stream.summary as never) as MetricStreamSummary["summary"],
    }));
  }

  async readMetrics(runId: string, stream: string, range: MetricRange = {}): Promise<MetricSeries> {
    const series = await this.#json<MetricSeries>(
      "GET",
      `/api/runs/${enc(runId)}/metrics/${enc(stream === "" ? unnamedMetricDir : stream)}`,
      {
        query: {
          by: range.by,
          from: range.from,
          to: range.to,
          edges: range.edges === undefined ? undefined : range.edges ? "1" : "0",
          last: range.last,
          approximate: range.approximate === undefined ? undefined : range.approximate ? "1" : "0",
          maxPoints: range.maxPoints,
          fields: range.fields,
        },
      },
    );
    return { ...decodeSeries(series), stream: storeStream(series.stream) };
  }

  async queryLogs(runId: string, query: LogQuery = {}): Promise<readonly StoredLog[]> {
    const result = await this.#json<{ logs: StoredLog[] }>("GET", `/api/runs/${enc(runId)}/logs`, {
      query: {
        level: query.levels,
        regex: query.regex,
        since: query.since,
        until: query.until,
        tail: query.tail,
        after: query.afterSequence,
        limit: query.limit,
      },
    });
    return result.logs.map((log) =>
      log.metadata === undefined
        ? log
        : { ...log, metadata: decodeDeep(log.metadata) as Record<string, JsonValue> },
    );
  }

  /** Not available over HTTP: use `uploadFile`, which sends the bytes with the record. */
  async addFile(_runId: string, _file: NewFile): Promise<StoredFile> {
    throw new Error("HttpStore.addFile is not available over HTTP: use uploadFile(runId, bytes, options).");
  }

  /** Uploads bytes (a Buffer, or a stream with `pipe` such as `fs.createReadStream`) as a file of the run. */
  async uploadFile(
    runId: string,
    body: Uint8Array | NodeJS.ReadableStream,
    options: UploadOptions,
  ): Promise<StoredFile> {
    const headers: Record<string, string> = {
      "content-type": options.contentType ?? "application/octet-stream",
    };
    if (options.sha256) headers["x-labrun-sha256"] = options.sha256;
    const result = await this.#json<{ file: StoredFile }>("PUT", `/api/runs/${enc(runId)}/files`, {
      query: { prefix: options.prefix, filename: options.filename },
      raw: body as NonNullable<RequestInit["body"]>,
      headers,
    });
    return result.file;
  }

  async listFiles(runId: string, prefix?: string): Promise<readonly StoredFile[]> {
    return (
      await this.#json<{ files: StoredFile[] }>("GET", `/api/runs/${enc(runId)}/files`, { query: { prefix } })
    ).files;
  }

  async getFile(runId: string, fileId: string): Promise<StoredFile | undefined> {
    const files = await this.listFiles(runId);
    return files.find((file) => file.id === fileId);
  }

  /** The bytes of a stored file. */
  async downloadFile(runId: string, fileId: string): Promise<Buffer> {
    this.#open();
    const response = await this.client.send("GET", `/api/runs/${enc(runId)}/files/${enc(fileId)}`);
    return Buffer.from(await response.arrayBuffer());
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new Error("This HttpStore is closed.");
  }

  async #json<T>(method: string, path: string, options?: Parameters<HttpClient["json"]>[2]): Promise<T> {
    this.#open();
    return this.client.json<T>(method, path, options);
  }

  async #orUndefined<T>(get: () => Promise<T>): Promise<T | undefined> {
    try {
      return await get();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}
