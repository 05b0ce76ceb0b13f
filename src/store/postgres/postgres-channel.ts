import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import type { StoreChannel } from "../store.js";

/** The one NOTIFY channel of labrun's servers on a database. */
export const channelName = "labrun_events";

// Messages kept while disconnected; past this the oldest are dropped (listeners re-read after a reconnect).
const maxQueued = 10_000;
// Notifications sent in one statement (one round trip, one commit) when several wait.
const perStatement = 50;

/**
 * PostgreSQL's LISTEN/NOTIFY on one dedicated connection, outside the pool: it listens, and it sends (in
 * statements of up to 50 `pg_notify` calls, with `synchronous_commit` off: a notification need not wait for
 * the disk, and each would otherwise flush the WAL). Lost connections (a PostgreSQL restart) are made again
 * with backoff (0.1 s doubling to 2 s); what was sent meanwhile waits in a queue.
 */
export class PostgresChannel implements StoreChannel {
  // PostgreSQL refuses payloads of 8,000 bytes or more.
  readonly maxPayloadBytes = 7_900;
  readonly #url: string;
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #handlers: { message(payload: string): void; reconnected(): void } | undefined;
  #listening = false;
  #connectedOnce = false;
  #queue: string[] = [];
  #sending = false;
  #closed = false;
  #stop = new AbortController();

  constructor(connectionString: string) {
    this.#url = connectionString;
  }

  /** True while the dedicated connection is up. */
  get connected(): boolean {
    return this.#client !== undefined;
  }

  send(payload: string): void {
    if (this.#closed) return;
    this.#queue.push(payload);
    if (this.#queue.length > maxQueued) this.#queue.splice(0, this.#queue.length - maxQueued);
    if (this.#client) void this.#flush();
    else this.#connect();
  }

  listen(handlers: { message(payload: string): void; reconnected(): void }): void {
    this.#handlers = handlers;
    const client = this.#client;
    if (client && !this.#listening) {
      this.#listening = true;
      client.query(`LISTEN ${channelName}`).catch(() => client.end().catch(() => undefined));
    } else this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    await this.#connecting?.catch(() => undefined);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #connect(): void {
    if (this.#closed || this.#client || this.#connecting) return;
    this.#connecting = this.#open().finally(() => (this.#connecting = undefined));
  }

  async #open(): Promise<void> {
    for (let delay = 100; !this.#closed; delay = Math.min(delay * 2, 2_000)) {
      const client = new pg.Client({
        connectionString: this.#url,
        options: "-c synchronous_commit=off",
        keepAlive: true,
      });
      // A lost connection emits "error" then "end"; "end" is where we reconnect.
      client.on("error", () => undefined);
      try {
        await client.connect();
        if (this.#handlers) await client.query(`LISTEN ${channelName}`);
      } catch {
        await client.end().catch(() => undefined);
        await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => undefined);
        continue;
      }
      if (this.#closed) {
        await client.end().catch(() => undefined);
        return;
      }
      client.on("notification", (message) => {
        if (message.channel === channelName && message.payload !== undefined)
          this.#handlers?.message(message.payload);
      });
      client.once("end", () => {
        if (this.#client !== client) return;
        this.#client = undefined;
        this.#listening = false;
        if (!this.#closed) this.#connect();
      });
      this.#client = client;
      this.#listening = this.#handlers !== undefined;
      const again = this.#connectedOnce;
      this.#connectedOnce = true;
      if (again) this.#handlers?.reconnected();
      void this.#flush();
      return;
    }
  }

  async #flush(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      for (let client = this.#client; client && this.#queue.length > 0; client = this.#client) {
        const batch = this.#queue.splice(0, perStatement);
        const calls = batch.map((_, i) => `pg_notify($1, $${i + 2})`).join(", ");
        try {
          await client.query(`SELECT ${calls}`, [channelName, ...batch]);
        } catch (error) {
          // The connection went away: send them again on the next one. Anything else (the server refused
          // these payloads) would fail again: drop them.
          if (this.#client !== client || !isReported(error)) {
            this.#queue.unshift(...batch);
            return;
          }
        }
      }
    } finally {
      this.#sending = false;
    }
  }
}

/** An error the server reported on a working connection (a SQLSTATE outside connection classes 08 and 57). */
function isReported(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57)/.test(code);
}
