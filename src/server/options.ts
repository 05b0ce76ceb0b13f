import type { Store } from "../store/store.js";
import type { FileStorage } from "./files/file-storage.js";
import type { RequestPolicy } from "../util/request-policy.js";
import type { TokenVerifier } from "./auth.js";

/** Sizes the server accepts; everything above gets 413 PAYLOAD_TOO_LARGE (or 400 for nesting). */
export interface ServerLimits {
  /** Largest JSON body, in bytes (default 32 MiB: ~1M metric points of a few fields). */
  readonly jsonBodyBytes: number;
  /** Largest uploaded file, in bytes (default 5 GiB). */
  readonly fileBytes: number;
  /** Deepest nesting of arrays and objects in a JSON body (default 32). */
  readonly jsonDepth: number;
  /** Seconds between SSE `: ping` comments (default 15). */
  readonly ssePingSeconds: number;
}

export const defaultLimits: ServerLimits = Object.freeze({
  jsonBodyBytes: 32 * 1024 * 1024,
  fileBytes: 5 * 1024 * 1024 * 1024,
  jsonDepth: 32,
  ssePingSeconds: 15,
});

/** What `createServer` needs. */
export interface ServerOptions {
  readonly store: Store;
  /** Checks bearer tokens; required unless `auth` is false. */
  readonly authStore?: TokenVerifier;
  /** Where uploaded files' bytes live. */
  readonly files: FileStorage;
  /** `false` turns authentication off (only for servers bound to loopback; `labrun serve` checks). */
  readonly auth?: boolean;
  readonly limits?: Partial<ServerLimits>;
  /** The labrun version reported by /api/health. */
  readonly version?: string;
  /** Adds routes after the API's own (`labrun serve` mounts the dashboard here); `/api/*` stays behind auth. */
  readonly extend?: (app: import("hono").Hono<import("./auth.js").ServerEnv>) => void;
  /**
   * Host names the server answers to and how it judges Origin (default: any Host; Origin and JSON checks on
   * state-changing requests always apply). `labrun serve` passes `requestPolicy(host, --allowed-hosts)`.
   */
  readonly requestPolicy?: RequestPolicy;
  /**
   * Live updates (default: shared with the other servers on the same database when the store has a channel,
   * PostgreSQL's LISTEN/NOTIFY; in this process otherwise).
   */
  readonly events?: import("./events.js").EventBus;
  /** Where unexpected errors are reported (default: stderr). */
  readonly logError?: (error: unknown) => void;
}
