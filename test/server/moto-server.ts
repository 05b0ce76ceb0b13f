import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** moto's S3-compatible server in `.venv-moto/` (made by scripts/ensure-moto-venv.mjs, run by `npm test`). */
export const motoBin = fileURLToPath(new URL("../../.venv-moto/bin/moto_server", import.meta.url));

/** Why the S3 tests cannot run here, or undefined when they can. */
export const motoMissing = existsSync(motoBin)
  ? undefined
  : "moto is not installed: run `node scripts/ensure-moto-venv.mjs` (npm test does)";

/** Credentials moto accepts (any), set for the SDK of this process and of the servers it starts. */
export const motoEnv = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_REGION: "us-east-1",
} as const;

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A running `moto_server` on one port; `stop` and `start` again keep the port (its state is lost). */
export class MotoServer {
  readonly port: number;
  #child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(port?: number): Promise<MotoServer> {
    const server = new MotoServer(port ?? (await freePort()));
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    const child = spawn(motoBin, ["-H", "127.0.0.1", "-p", String(this.port)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.#child = child;
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
      const up = await fetch(`${this.endpoint}/moto-api/`).then(
        (answer) => answer.status < 500,
        () => false,
      );
      if (up) return;
      if (Date.now() > deadline) throw new Error(`moto_server did not answer in 30 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops it (SIGKILL: the S3 server simply vanishes, as a crashed one does). */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}
