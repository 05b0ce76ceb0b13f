import type { JsonValue } from "../format/json-codec.js";
import type {
  BatchResult,
  CreatedToken,
  LogQuery,
  MetricRange,
  MetricSeries,
  MetricStreamSummary,
  NewFile,
  NewToken,
  RunBatch,
  RunPage,
  RunPatch,
  RunQuery,
  RunUpsert,
  ServerStore,
  Store,
  StoreCapabilities,
  StoreChannel,
  StoreProblem,
  StreamListOptions,
  StoredFile,
  StoredLog,
  StoredRun,
  TokenInfo,
} from "./store.js";
import {
  checkBatch,
  checkFileFolder,
  checkLogQuery,
  checkMetricStream,
  checkNewFile,
  checkNewToken,
  checkPatch,
  checkPrefix,
  checkRange,
  checkRunQuery,
  checkUpsert,
} from "./validate.js";
import { checkString } from "./validate-values.js";

const idLength = 200;

/**
 * Checks every input (validate.ts) before it reaches the backend, so that all backends reject the same
 * things with the same errors and none is half-written. `openStore` returns stores wrapped in it.
 */
export class ValidatingStore implements Store {
  constructor(protected readonly inner: Store) {}

  get kind(): string {
    return this.inner.kind;
  }

  get capabilities(): StoreCapabilities {
    return this.inner.capabilities;
  }

  /** The backend without checks (tests, benchmarks, migrations). */
  get unchecked(): Store {
    return this.inner;
  }

  upsertRun(run: RunUpsert): Promise<StoredRun> {
    return call(() => this.inner.upsertRun(checkUpsert(run)));
  }
  getRun(runId: string): Promise<StoredRun | undefined> {
    return call(() => this.inner.getRun(checkString("runId", runId, idLength, 1)));
  }
  getRunByPrefix(prefix: string): Promise<StoredRun | undefined> {
    return call(() => this.inner.getRunByPrefix(checkPrefix(prefix)));
  }
  searchRuns(query: RunQuery): Promise<RunPage> {
    return call(() => this.inner.searchRuns(checkRunQuery(query)));
  }
  updateRun(runId: string, patch: RunPatch): Promise<StoredRun> {
    return call(() => this.inner.updateRun(checkString("runId", runId, idLength, 1), checkPatch(patch)));
  }
  deleteRun(runId: string): Promise<void> {
    return call(() => this.inner.deleteRun(checkString("runId", runId, idLength, 1)));
  }
  applyBatch(runId: string, batch: RunBatch): Promise<BatchResult> {
    return call(() => this.inner.applyBatch(checkString("runId", runId, idLength, 1), checkBatch(batch)));
  }
  getParams(runId: string): Promise<Readonly<Record<string, JsonValue>>> {
    return call(() => this.inner.getParams(checkString("runId", runId, idLength, 1)));
  }
  listMetricStreams(runId: string, options?: StreamListOptions): Promise<readonly MetricStreamSummary[]> {
    return call(() => this.inner.listMetricStreams(checkString("runId", runId, idLength, 1), options));
  }
  readMetrics(runId: string, stream: string, range?: MetricRange): Promise<MetricSeries> {
    return call(() =>
      this.inner.readMetrics(
        checkString("runId", runId, idLength, 1),
        checkMetricStream(stream),
        checkRange(range),
      ),
    );
  }
  queryLogs(runId: string, query?: LogQuery): Promise<readonly StoredLog[]> {
    return call(() => this.inner.queryLogs(checkString("runId", runId, idLength, 1), checkLogQuery(query)));
  }
  addFile(runId: string, file: NewFile): Promise<StoredFile> {
    return call(() => this.inner.addFile(checkString("runId", runId, idLength, 1), checkNewFile(file)));
  }
  listFiles(runId: string, prefix?: string): Promise<readonly StoredFile[]> {
    return call(() =>
      this.inner.listFiles(checkString("runId", runId, idLength, 1), checkFileFolder(prefix)),
    );
  }
  getFile(runId: string, fileId: string): Promise<StoredFile | undefined> {
    return call(() =>
      this.inner.getFile(
        checkString("runId", runId, idLength, 1),
        checkString("fileId", fileId, idLength, 1),
      ),
    );
  }
  problems(runId?: string): Promise<readonly StoreProblem[]> {
    return call(
      () =>
        this.inner.problems?.(runId === undefined ? undefined : checkString("runId", runId, idLength, 1)) ??
        Promise.resolve([]),
    );
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** `ValidatingStore` for a database backend: tokens are checked too. */
export class ValidatingServerStore extends ValidatingStore implements ServerStore {
  constructor(private readonly server: ServerStore) {
    super(server);
  }
  channel(): StoreChannel | undefined {
    return this.server.channel();
  }
  createToken(token: NewToken): Promise<CreatedToken> {
    return call(() => this.server.createToken(checkNewToken(token)));
  }
  listTokens(): Promise<readonly TokenInfo[]> {
    return this.server.listTokens();
  }
  revokeToken(id: string): Promise<boolean> {
    return call(() => this.server.revokeToken(checkString("id", id, idLength, 1)));
  }
  verifyToken(secret: string): Promise<TokenInfo | undefined> {
    // A malformed secret is an unknown one, not a bad request.
    if (typeof secret !== "string" || secret.length === 0 || secret.length > 1000)
      return Promise.resolve(undefined);
    return this.server.verifyToken(secret);
  }
  findToken(secret: string): Promise<TokenInfo | undefined> {
    if (typeof secret !== "string" || secret.length === 0 || secret.length > 1000)
      return Promise.resolve(undefined);
    return this.server.findToken?.(secret) ?? Promise.resolve(undefined);
  }
}

/** Turns a synchronous validation error into a rejected promise, as the backend's own errors are. */
function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}
