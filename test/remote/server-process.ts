import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { HttpStore } from "../../src/store/http/http-store.js";
import { labrunBin, repoRoot, tempWorkspace } from "../helpers.js";

/** A free loopback port (the kernel's pick, released for the server to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A real `labrun serve` process on a fixed port (so it can be killed and started again on it). */
export class ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly workspace: string;
  readonly auth: boolean;
  child: ChildProcess | undefined;
  output = "";

  constructor(workspace: string, port: number, options: { auth?: boolean } = {}) {
    this.workspace = workspace;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.auth = options.auth ?? false;
  }

  static async start(
    workspace: string,
    options: { auth?: boolean; port?: number } = {},
  ): Promise<ServerProcess> {
    const server = new ServerProcess(workspace, options.port ?? (await freePort()), options);
    await server.start();
    return server;
  }

  /** Starts the server and waits until /api/health answers. */
  async start(): Promise<void> {
    const args = [labrunBin, "serve", "--port", String(this.port), "--workspace", this.workspace];
    if (!this.auth) args.push("--no-auth");
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: "1", LABRUN_HOME: this.workspace },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stdout!.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`labrun serve exited: ${this.output}`);
      try {
        const response = await fetch(`${this.url}/api/health`);
        if (response.ok) return;
      } catch {
        // not yet listening
      }
      await sleep(100);
    }
    throw new Error(`labrun serve did not answer in 30 s: ${this.output}`);
  }

  /** SIGKILL: no drain, no flush. */
  async kill(): Promise<void> {
    await this.#stop("SIGKILL");
  }

  /** SIGTERM: graceful shutdown. */
  async stop(): Promise<void> {
    await this.#stop("SIGTERM");
  }

  async #stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  /** A token for a project (`labrun token create`), printed on the first line. */
  createToken(project: string, extra: string[] = []): string {
    const result = spawnSync(
      process.execPath,
      [labrunBin, "token", "create", "--project", project, "--workspace", this.workspace, ...extra],
      // LABRUN_HOME too: the database is the workspace's whichever way the command reads it.
      {
        cwd: repoRoot,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", LABRUN_HOME: this.workspace },
      },
    );
    if (result.status !== 0) throw new Error(`token create failed: ${result.stderr}`);
    return result.stdout.split("\n")[0]!.trim();
  }
}

/**
 * One `labrun serve` for a whole test file, in its own temporary workspace: started before the file's tests,
 * stopped and removed after them. `server` and `store` are there once the tests run.
 */
export function serveForFile(name: string): {
  readonly workspace: ReturnType<typeof tempWorkspace>;
  readonly server: ServerProcess;
  readonly store: HttpStore;
} {
  const workspace = tempWorkspace(name);
  let server: ServerProcess | undefined;
  let store: HttpStore | undefined;
  beforeAll(async () => {
    server = await ServerProcess.start(join(workspace.root, "server"));
    store = new HttpStore({ url: server.url });
  });
  afterAll(async () => {
    await server?.stop();
    workspace.cleanup();
  });
  return {
    workspace,
    get server() {
      return server!;
    },
    get store() {
      return store!;
    },
  };
}
