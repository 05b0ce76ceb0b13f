// Several `labrun serve` processes on one PostgreSQL database, nginx in front, and an SSE reader: what the
// replica tests and bench/replicas.ts share.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { serveProcess } from "./helpers.js";

/** A `labrun serve` process. */
export interface Replica {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
  /** SIGTERM and wait (a SIGKILLed one is only waited for). */
  stop(): Promise<void>;
}

/** Starts `labrun serve --db <db>` `n` times at once (each on a free port, own files folder). */
export async function startReplicas(
  db: string,
  n: number,
  dir: string,
  extraArgs: readonly string[] = [],
): Promise<Replica[]> {
  const started = await Promise.allSettled(
    Array.from({ length: n }, (_, i) =>
      serveProcess([
        "--db",
        db,
        "--files",
        join(dir, "files"),
        "--workspace",
        join(dir, `ws${i}`),
        ...extraArgs,
      ]),
    ),
  );
  const replicas = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    for (const r of replicas) r.child.kill("SIGKILL");
    throw failed.reason;
  }
  return replicas.map((r) => ({
    url: r.url,
    port: Number(new URL(r.url).port),
    child: r.child,
    exited: r.exited,
    output: r.output,
    async stop() {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGTERM");
      await Promise.race([r.exited, sleep(15_000)]);
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    },
  }));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export const nginxBin = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => existsSync(p));

/**
 * The nginx configuration of docs/deploy.md ("Replicas behind nginx"), for a test: its own prefix folder,
 * loopback ports, logs and temporary files under `dir`, no daemon.
 */
export function nginxConfig(options: {
  readonly dir: string;
  readonly port: number;
  readonly upstreams: readonly number[];
  /** Sent as Host to the replicas (default: the client's). */
  readonly host?: string;
  /** false: nginx does not re-send a batch to another replica (clients retry themselves). Default true. */
  readonly resendBatches?: boolean;
}): string {
  const { dir, port, upstreams } = options;
  const resend = options.resendBatches === false ? "" : " non_idempotent";
  const host = options.host ?? "$http_host";
  const asRoot = process.getuid?.() === 0 ? "user root;\n" : "";
  return `${asRoot}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  upstream labrun {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join("\n")}
    keepalive 64;
  }

  server {
    listen 127.0.0.1:${port};
    client_max_body_size 64m;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host ${host};
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_connect_timeout 2s;
    proxy_read_timeout 1h;
    proxy_send_timeout 1h;
    proxy_next_upstream error timeout http_502 http_503;
    proxy_next_upstream_tries 3;

    # Batches carry (clientId, seq): stored once however often they arrive, so nginx may re-send one to
    # another replica when the first died before answering.
    location ~ ^/api/runs/[^/]+/batches$ {
      proxy_pass http://labrun;
      proxy_next_upstream error timeout http_502 http_503${resend};
    }
    # Live updates: no buffering, long reads.
    location ~ /events$ {
      proxy_pass http://labrun;
      proxy_buffering off;
      proxy_cache off;
    }
    location ~ ^/api/runs/[^/]+/files$ {
      proxy_pass http://labrun;
      client_max_body_size 5g;
      proxy_request_buffering off;
    }
    location / {
      proxy_pass http://labrun;
    }
  }
}
`;
}

/** An nginx process of its own. */
export interface Nginx {
  readonly url: string;
  errorLog(): string;
  stop(): Promise<void>;
}

export async function startNginx(options: {
  readonly upstreams: readonly number[];
  readonly host?: string;
  readonly resendBatches?: boolean;
}): Promise<Nginx> {
  if (!nginxBin)
    throw new Error("nginx is not installed (apt-get install nginx; scripts/ensure-test-deps.mjs does it)");
  const dir = mkdtempSync(join(tmpdir(), "labrun-nginx-"));
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, nginxConfig({ dir, port, ...options }));
  const check = spawnSync(nginxBin, ["-t", "-q", "-p", dir, "-c", conf, "-e", join(dir, "error.log")], {
    encoding: "utf8",
  });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`);
  const child = spawn(nginxBin, ["-p", dir, "-c", conf, "-e", join(dir, "error.log")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 10_000; ;) {
    const up = await fetch(`${url}/api/health`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`nginx did not start:\n${output}\n${readLog(join(dir, "error.log"))}`);
    await sleep(50);
  }
  return {
    url,
    errorLog: () => readLog(join(dir, "error.log")),
    async stop() {
      if (child.exitCode === null) child.kill("SIGQUIT");
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await Promise.race([exited, sleep(2_000)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readLog(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

export interface SseEvent {
  readonly event: string;
  readonly data: any;
  /** performance.now() when it arrived. */
  readonly at: number;
}

/** A live-update stream being read in the background: `events` grows, `ended` settles when it ends. */
export class SseStream {
  readonly events: SseEvent[] = [];
  readonly ended: Promise<void>;
  readonly #controller = new AbortController();
  #onEvent: (() => void) | undefined;

  private constructor(response: Response) {
    this.ended = this.#read(response);
  }

  static async open(url: string, token: string): Promise<SseStream> {
    const controller = new AbortController();
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    if (response.status !== 200) throw new Error(`SSE ${url}: ${response.status} ${await response.text()}`);
    const stream = new SseStream(response);
    stream.#controller.signal.addEventListener("abort", () => controller.abort());
    return stream;
  }

  async #read(response: Response): Promise<void> {
    const decoder = new TextDecoder();
    let raw = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        raw += decoder.decode(chunk, { stream: true });
        const blocks = raw.split("\n\n");
        raw = blocks.pop()!;
        for (const block of blocks) {
          const event = /^event: (.*)$/m.exec(block)?.[1];
          if (!event) continue;
          const data = block
            .split("\n")
            .filter((line) => line.startsWith("data: "))
            .map((line) => line.slice(6))
            .join("\n");
          this.events.push({ event, data: JSON.parse(data), at: performance.now() });
          this.#onEvent?.();
        }
      }
    } catch {
      // aborted or cut
    }
  }

  /** Waits until `probe` over the events so far is true. */
  async waitFor(
    what: string,
    probe: (events: readonly SseEvent[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!probe(this.events)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; got ${this.events.map((e) => e.event).join(", ")}`);
      await new Promise<void>((resolve) => {
        this.#onEvent = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.#controller.abort();
  }
}

/** Points of the `metrics` events of stream `stream` received so far. */
export function streamedPoints(events: readonly SseEvent[], stream = "train"): any[] {
  return events
    .filter((e) => e.event === "metrics" && e.data.stream === stream)
    .flatMap((e) => e.data.points as any[]);
}

/** What a writer saw: points acknowledged, and each failed attempt's status or error code. */
export interface WriterTally {
  readonly runId: string;
  acked: number;
  batches: number;
  retries: number;
  readonly failures: Map<string, number>;
  /** performance.now() of each acknowledged batch. */
  readonly ackTimes: number[];
}

/**
 * A writer as the SDKs write: batches of `points` points of stream `train` ({loss, step}), each POSTed until
 * acknowledged with the same `(clientId, seq)` (retried after network errors, 5xx, 408 and 429, as
 * src/store/http/http-client.ts's `isRetryable` says), until `stop()` is true.
 */
export async function runWriter(options: {
  readonly url: string;
  readonly token: string;
  readonly runId: string;
  readonly points: number;
  readonly stop: () => boolean;
  readonly pauseMs?: number;
}): Promise<WriterTally> {
  const tally: WriterTally = {
    runId: options.runId,
    acked: 0,
    batches: 0,
    retries: 0,
    failures: new Map(),
    ackTimes: [],
  };
  const clientId = `w-${options.runId}`;
  for (let seq = 1; !options.stop(); seq++) {
    const from = tally.acked;
    const body = JSON.stringify({
      clientId,
      seq,
      metrics: [
        {
          stream: "train",
          points: Array.from({ length: options.points }, (_, i) => ({
            fields: { loss: 1 / (from + i + 1), step: from + i },
            ts: 1_700_000_000 + from + i,
          })),
        },
      ],
    });
    for (let attempt = 0; ; attempt++) {
      let failure: string;
      try {
        const response = await fetch(`${options.url}/api/runs/${options.runId}/batches`, {
          method: "POST",
          headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (response.status === 200) {
          tally.acked += options.points;
          tally.batches++;
          tally.ackTimes.push(performance.now());
          break;
        }
        let code = "";
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? "";
        } catch {
          // a proxy's HTML error page (502 when the replica died)
        }
        failure = `${response.status} ${code}`.trim();
        if (!(response.status >= 500 || response.status === 408 || response.status === 429))
          throw new Error(`refused: ${failure}: ${text}`);
      } catch (error) {
        if ((error as Error).message.startsWith("refused:")) throw error;
        failure = ((error as Error).cause as { code?: string } | undefined)?.code ?? (error as Error).name;
      }
      tally.failures.set(failure, (tally.failures.get(failure) ?? 0) + 1);
      tally.retries++;
      await sleep(Math.min(1_000, 50 * 2 ** Math.min(attempt, 4)));
    }
    if (options.pauseMs) await sleep(options.pauseMs);
  }
  return tally;
}

/** Failures of all writers, summed by kind. */
export function failureCounts(tallies: readonly WriterTally[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tallies) for (const [k, n] of t.failures) out[k] = (out[k] ?? 0) + n;
  return out;
}
