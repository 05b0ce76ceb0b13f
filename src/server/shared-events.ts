import { randomUUID } from "node:crypto";
import { stringifyWire } from "../format/wire-json.js";
import type { Store, StoreChannel } from "../store/store.js";
import { RunEvents, type EventBus, type EventPosition, type RunEvent } from "./events.js";

// A message on the channel: the sending server (`o`), a counter (`n`: PostgreSQL folds identical payloads of
// one transaction into one), the run (`r`), and either the event (`e`) or where to read it back (`ref`).
interface Message {
  readonly o: string;
  readonly n: number;
  readonly r: string;
  readonly e?: RunEvent;
  readonly ref?:
    | { readonly type: "metrics"; readonly stream: string; readonly first: number; readonly count: number }
    | { readonly type: "logs"; readonly first: number; readonly count: number }
    | { readonly type: "status" };
}

// Records read back per query when an event is too big to travel in a notification.
const page = 10_000;

/**
 * Live updates shared by every server on one database: subscribers of this process get an event at once, and
 * it goes to the others over the store's channel (PostgreSQL NOTIFY) — whole when it fits in a notification,
 * otherwise as a reference (run, stream, first index and count) that each receiver reads back from the
 * database. A server skips its own messages (it delivered them already). Events of one run are delivered in
 * the order their messages arrive. When the channel's connection was lost and made again, messages of the gap
 * are lost: every open stream is then ended, and its client reconnects and re-reads.
 */
export class SharedRunEvents implements EventBus {
  readonly #local = new RunEvents();
  readonly #origin = randomUUID();
  readonly #store: Store;
  readonly #channel: StoreChannel;
  readonly #chains = new Map<string, Promise<void>>();
  #sent = 0;
  #listening = false;

  constructor(store: Store, channel: StoreChannel) {
    this.#store = store;
    this.#channel = channel;
  }

  subscribe(runId: string, listener: (event: RunEvent) => void, onClose: () => void): () => void {
    if (!this.#listening) {
      this.#listening = true;
      this.#channel.listen({
        message: (payload) => this.#receive(payload),
        reconnected: () => this.#local.closeAll(),
      });
    }
    return this.#local.subscribe(runId, listener, onClose);
  }

  publish(runId: string, event: RunEvent, position?: EventPosition): void {
    this.#local.publish(runId, event);
    const head = { o: this.#origin, n: ++this.#sent, r: runId };
    const whole = stringifyWire({ ...head, e: event });
    if (Buffer.byteLength(whole) <= this.#channel.maxPayloadBytes) return this.#channel.send(whole);
    const ref: Message["ref"] =
      event.type === "status"
        ? { type: "status" }
        : position === undefined
          ? undefined
          : event.type === "metrics"
            ? {
                type: "metrics",
                stream: event.data.stream,
                first: position.first,
                count: event.data.points.length,
              }
            : { type: "logs", first: position.first, count: event.data.logs.length };
    const reference = JSON.stringify({ ...head, ref });
    if (ref && Buffer.byteLength(reference) <= this.#channel.maxPayloadBytes) this.#channel.send(reference);
  }

  /** Always true: a subscriber may be listening on another server. */
  hasListeners(): boolean {
    return true;
  }

  closeAll(): void {
    this.#local.closeAll();
  }

  /** The channel belongs to the store: closing the store stops listening. */
  async close(): Promise<void> {
    this.#local.closeAll();
  }

  #receive(payload: string): void {
    let message: Message;
    try {
      message = JSON.parse(payload) as Message;
    } catch {
      return; // not ours
    }
    if (message.o === this.#origin || typeof message.r !== "string") return;
    const runId = message.r;
    if (!this.#local.hasListeners(runId)) return;
    // One chain per run: an event read back from the database does not overtake the next one.
    const previous = this.#chains.get(runId) ?? Promise.resolve();
    const next = previous
      .then(() => this.#resolve(message))
      .then(
        (events) => {
          for (const event of events) this.#local.publish(runId, event);
        },
        () => undefined, // the database is unreachable: this event is lost, the stream goes on
      );
    this.#chains.set(runId, next);
    void next.then(() => {
      if (this.#chains.get(runId) === next) this.#chains.delete(runId);
    });
  }

  async #resolve(message: Message): Promise<RunEvent[]> {
    if (message.e) return [message.e];
    const ref = message.ref;
    if (!ref) return [];
    if (ref.type === "status") {
      const run = await this.#store.getRun(message.r);
      return run ? [{ type: "status", data: { run } }] : [];
    }
    const events: RunEvent[] = [];
    for (let from = ref.first; from < ref.first + ref.count; from += page) {
      const to = Math.min(from + page, ref.first + ref.count);
      if (ref.type === "metrics") {
        const series = await this.#store.readMetrics(message.r, ref.stream, { from, to });
        const points = series.points.map(({ fields, ts }) => ({ fields, ts }));
        if (points.length > 0) events.push({ type: "metrics", data: { stream: ref.stream, points } });
      } else {
        const after = from > 0 ? { afterSequence: from - 1 } : {};
        const logs = await this.#store.queryLogs(message.r, { ...after, limit: to - from });
        const records = logs.map(({ sequence: _, ...log }) => log);
        if (records.length > 0) events.push({ type: "logs", data: { logs: records } });
      }
    }
    return events;
  }
}

/** The event bus for a store: shared over the database's channel when it has one (PostgreSQL), else local. */
export function eventsFor(store: Store): EventBus {
  const channel = (store as { channel?: () => StoreChannel | undefined }).channel?.();
  return channel ? new SharedRunEvents(store, channel) : new RunEvents();
}
