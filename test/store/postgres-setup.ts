import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";

/** A PostgreSQL server started for tests: `url` is a superuser connection to its `postgres` database. */
export interface TestPostgres {
  readonly url: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Fast shutdown (clients are disconnected), `downMs` of nothing listening, then the same server again. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /**
   * Trade durability for speed (fsync, synchronous_commit and full-page writes off): right for tests,
   * wrong for benchmarks, which keep the defaults.
   */
  readonly fast?: boolean;
  readonly log?: (line: string) => void;
}

/** The newest installed server's bin folder (`/usr/lib/postgresql/<version>/bin`, Debian's layout). */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      "No PostgreSQL server under /usr/lib/postgresql. Install it (apt-get install postgresql; " +
        "`node scripts/ensure-test-deps.mjs` does it) or set LABRUN_TEST_PG_URL to a server of your own.",
    );
  }
  return join(root, versions[0]!, "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** uid/gid to run the server as: root may not run postgres, so root uses Debian's `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      "Running as root, and there is no `postgres` user to run the test server as (install postgresql).",
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Starts a throw-away PostgreSQL server: `initdb` a cluster in a temporary folder, `postgres` on a free
 * loopback port (as the `postgres` user when we are root), trust authentication for the `labrun` superuser.
 */
export async function startTestPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "labrun-pg-"));
  const data = join(dir, "data");
  if (user) chownSync(dir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const init = spawnSync(
    join(bin, "initdb"),
    ["-D", data, "-U", "labrun", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"],
    { encoding: "utf8", ...asUser, cwd: dir, env: { ...process.env, LC_ALL: "C.UTF-8" } },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}):\n${init.stdout}\n${init.stderr}`);
  }
  const port = await freePort();
  const settings = [
    "listen_addresses=127.0.0.1",
    `port=${port}`,
    `unix_socket_directories=${dir}`,
    "max_connections=200",
    ...(options.fast ? ["fsync=off", "synchronous_commit=off", "full_page_writes=off"] : []),
  ];
  let output = "";
  const launch = async (): Promise<{ server: ChildProcess; exited: Promise<void> }> => {
    const server: ChildProcess = spawn(
      join(bin, "postgres"),
      ["-D", data, ...settings.flatMap((s) => ["-c", s])],
      {
        ...asUser,
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 20_000) output = output.slice(-10_000);
      options.log?.(chunk.toString());
    };
    server.stdout!.on("data", collect);
    server.stderr!.on("data", collect);
    const exited = new Promise<void>((resolveExit) => server.once("exit", () => resolveExit()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return { server, exited };
      } catch (error) {
        await client.end().catch(() => undefined);
        if (server.exitCode !== null || Date.now() > deadline) {
          server.kill("SIGKILL");
          rmSync(dir, { recursive: true, force: true });
          throw new Error(`PostgreSQL did not start (${(error as Error).message}):\n${output}`);
        }
        await sleep(100);
      }
    }
  };
  const url = `postgres://labrun@127.0.0.1:${port}/postgres`;
  let { server, exited } = await launch();
  const shutdown = async () => {
    if (server.exitCode === null) {
      server.kill("SIGINT"); // fast shutdown: disconnects clients, no waiting for them
      const timer = new AbortController();
      await Promise.race([exited, sleep(15_000, undefined, { signal: timer.signal }).catch(() => undefined)]);
      timer.abort();
      if (server.exitCode === null) server.kill("SIGKILL");
      await exited;
    }
  };
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    async createDatabase(name = `labrun_${process.pid}_${Math.random().toString(36).slice(2, 10)}`) {
      await admin((client) => client.query(`CREATE DATABASE "${name}"`));
      return `postgres://labrun@127.0.0.1:${port}/${name}`;
    },
    async dropDatabase(name) {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
    async restart(downMs = 0) {
      await shutdown();
      await sleep(downMs);
      ({ server, exited } = await launch());
    },
    async stop() {
      await shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * vitest globalSetup: gives the test files a PostgreSQL server in LABRUN_TEST_PG_URL. When the variable is
 * already set, that server is used as it is; when LABRUN_TEST_BACKENDS leaves postgres out, none is started.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.LABRUN_TEST_PG_URL) return undefined;
  const wanted = (process.env.LABRUN_TEST_BACKENDS ?? "sqlite,postgres").split(",");
  if (!wanted.includes("postgres")) return undefined;
  const server = await startTestPostgres({ fast: true });
  process.env.LABRUN_TEST_PG_URL = server.url;
  return async () => {
    delete process.env.LABRUN_TEST_PG_URL;
    const t0 = Date.now();
    await server.stop();
    if (process.env.LABRUN_TEST_PG_DEBUG) console.error(`postgres stopped in ${Date.now() - t0} ms`);
  };
}
