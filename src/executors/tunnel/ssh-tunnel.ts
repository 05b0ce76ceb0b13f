import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, posix } from "node:path";
import { InvalidExecutorError, TunnelError } from "../../errors.js";
import {
  parseReadFrom,
  quote,
  readFromScript,
  runProcess,
  runProcessBytes,
  writeFilesScript,
} from "./process-run.js";
import type { ExecOptions, ExecResult, RemoteFile, TransferOptions, Tunnel, TunnelConfig } from "./tunnel.js";

export interface SSHTunnelOptions {
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  /** Private key file (`ssh -i`). */
  readonly identity?: string;
  /** Directory on the cluster that holds labrun's job directories and code (NeMo-Run's `job_dir`). */
  readonly jobDir: string;
  /** Extra `ssh -o key=value` options (e.g. `{ StrictHostKeyChecking: "accept-new" }`). */
  readonly sshOptions?: Readonly<Record<string, string>>;
  /** How long the shared connection stays open after its last use (`ControlPersist`), in seconds. Default 600. */
  readonly persistSeconds?: number;
  /** Let the first connection ask for a password or a second factor on this terminal (default: never prompt). */
  readonly interactive?: boolean;
}

/**
 * Reaches the cluster's login node with the system `ssh`. Every command and file transfer goes through
 * one OpenSSH master connection per host (ControlMaster/ControlPersist), opened once: one password or 2FA
 * prompt per session at most, and no handshake per command.
 *
 * @example
 * const tunnel = new SSHTunnel({ host: "login.cluster.org", user: "me", jobDir: "/scratch/me/labrun" });
 */
export class SSHTunnel implements Tunnel {
  readonly kind = "ssh";
  readonly sharedFilesystem = false;
  readonly options: Readonly<SSHTunnelOptions>;
  #connecting: Promise<void> | undefined;

  constructor(options: SSHTunnelOptions) {
    if (!options.host) throw new InvalidExecutorError("SSHTunnel needs a `host` (the cluster's login node).");
    if (!options.jobDir || !posix.isAbsolute(options.jobDir))
      throw new InvalidExecutorError(
        `SSHTunnel needs \`jobDir\`, an absolute directory on the cluster for labrun's job directories (got ${JSON.stringify(options.jobDir)}).`,
      );
    this.options = Object.freeze({
      ...options,
      sshOptions: Object.freeze({ ...(options.sshOptions ?? {}) }),
    });
  }

  get endpoint(): string {
    const { user, host, port } = this.options;
    return `ssh:${user ? `${user}@` : ""}${host}:${port ?? 22}`;
  }

  /** The OpenSSH control socket shared by every process of this user talking to this host. */
  get controlPath(): string {
    const hash = createHash("sha256").update(this.endpoint).digest("hex").slice(0, 16);
    return join(tmpdir(), `labrun-ssh-${hash}`);
  }

  get remoteRoot(): string {
    return this.options.jobDir;
  }

  /** `<jobDir>/jobs/<task>/<identity>`: a workspace's job directory keeps its place relative to the workspace. */
  remoteJobDir(localJobDir: string): string {
    return posix.join(this.options.jobDir, "jobs", basename(dirname(localJobDir)), basename(localJobDir));
  }

  async exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    await this.#connect();
    const exports = Object.entries(options.env ?? {}).map(([k, v]) => `export ${k}=${quote(v)}\n`);
    const full = exports.join("") + script;
    const result =
      options.input === undefined
        ? await runProcess(this.#ssh(["bash -s"]), { input: full })
        : await runProcess(this.#ssh([`bash -c ${quote(full)}`]), { input: options.input });
    if (result.code === 255) throw new TunnelError(this.endpoint, result.stderr.trim());
    return result;
  }

  async putFiles(files: readonly RemoteFile[]): Promise<void> {
    if (files.length === 0) return;
    const result = await this.exec(writeFilesScript(files));
    if (result.code !== 0)
      throw new TunnelError(this.endpoint, `writing files failed: ${result.stderr.trim()}`);
  }

  async putDirectory(localDir: string, remoteDir: string, options: TransferOptions = {}): Promise<void> {
    const excludes = (options.exclude ?? []).map((pattern) => `--exclude=${pattern}`);
    const members = options.members ?? ["."];
    const archive = await runProcessBytes(["tar", "-c", ...excludes, "-C", localDir, ...members], localDir);
    if (archive.code !== 0)
      throw new TunnelError(this.endpoint, `tar of ${localDir} failed: ${archive.stderr}`);
    const result = await this.exec(`mkdir -p ${quote(remoteDir)} && tar -x -m -C ${quote(remoteDir)}`, {
      input: archive.stdout,
    });
    if (result.code !== 0)
      throw new TunnelError(
        this.endpoint,
        `copying ${localDir} to ${remoteDir} failed: ${result.stderr.trim()}`,
      );
  }

  async getDirectory(
    remoteDir: string,
    localDir: string,
    options: { readonly exclude?: readonly string[] } = {},
  ): Promise<void> {
    const excludes = (options.exclude ?? []).map((pattern) => quote(`--exclude=${pattern}`)).join(" ");
    const result = await this.exec(`tar -c ${excludes} -C ${quote(remoteDir)} . | base64 -w0`);
    if (result.code !== 0)
      throw new TunnelError(this.endpoint, `reading ${remoteDir} failed: ${result.stderr.trim()}`);
    mkdirSync(localDir, { recursive: true });
    const extract = await runProcess(["tar", "-x", "-m", "-C", localDir], {
      input: Buffer.from(result.stdout.trim(), "base64"),
    });
    if (extract.code !== 0)
      throw new TunnelError(this.endpoint, `unpacking into ${localDir} failed: ${extract.stderr}`);
  }

  async readFrom(files: readonly { path: string; offset: number }[]): Promise<(Buffer | undefined)[]> {
    if (files.length === 0) return [];
    const result = await this.exec(readFromScript(files));
    return parseReadFrom(result.stdout, files.length);
  }

  toConfig(): TunnelConfig {
    return { kind: this.kind, ...this.options, sshOptions: { ...this.options.sshOptions } };
  }

  /** Closes the shared connection (other processes using it open a new one when they need it). */
  async close(): Promise<void> {
    this.#connecting = undefined;
    await runProcess(["ssh", ...this.#baseArgs(), "-O", "exit", this.#destination()]);
  }

  #destination(): string {
    return this.options.user ? `${this.options.user}@${this.options.host}` : this.options.host;
  }

  #baseArgs(): string[] {
    const { port, identity, sshOptions, persistSeconds } = this.options;
    return [
      ...(port ? ["-p", String(port)] : []),
      ...(identity ? ["-i", identity] : []),
      "-o",
      `ControlPath=${this.controlPath}`,
      "-o",
      `ControlPersist=${persistSeconds ?? 600}`,
      ...Object.entries(sshOptions ?? {}).flatMap(([key, value]) => ["-o", `${key}=${value}`]),
    ];
  }

  #ssh(command: readonly string[]): string[] {
    return [
      "ssh",
      ...this.#baseArgs(),
      "-o",
      // Never "auto" here: a master started by this call would hold its pipes open for ControlPersist.
      "ControlMaster=no",
      "-o",
      "BatchMode=yes",
      this.#destination(),
      "--",
      ...command,
    ];
  }

  /** Opens the master connection once (checking first whether another process already has one). */
  #connect(): Promise<void> {
    this.#connecting ??= (async () => {
      const check = await runProcess(["ssh", ...this.#baseArgs(), "-O", "check", this.#destination()]);
      if (check.code === 0) return;
      const interactive = this.options.interactive ?? false;
      const args = [
        ...this.#baseArgs(),
        "-o",
        "ControlMaster=yes",
        ...(interactive ? [] : ["-o", "BatchMode=yes"]),
        "-f",
        "-N",
        this.#destination(),
      ];
      const code = await new Promise<{ code: number; stderr: string }>((resolve) => {
        const child = spawn("ssh", args, { stdio: interactive ? "inherit" : ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.once("error", (error) => resolve({ code: 127, stderr: error.message }));
        child.once("exit", (exitCode) => {
          // The forked master keeps our end of the pipe: let go of it, or this process would wait for it.
          child.stderr?.destroy();
          resolve({ code: exitCode ?? 1, stderr });
        });
      });
      if (code.code !== 0) {
        this.#connecting = undefined;
        throw new TunnelError(this.endpoint, code.stderr.trim() || `ssh exited with code ${code.code}`);
      }
    })();
    return this.#connecting;
  }
}
