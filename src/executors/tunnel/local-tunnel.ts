import { cpSync, mkdirSync, writeFileSync, chmodSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { readFileFrom } from "../../workspace/log-follower.js";
import { runProcess } from "./process-run.js";
import type { ExecOptions, ExecResult, RemoteFile, TransferOptions, Tunnel, TunnelConfig } from "./tunnel.js";

export interface LocalTunnelOptions {
  /** Variables for every Slurm command (e.g. `SLURM_CONF` to reach another controller). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The cluster is this machine: Slurm's commands are on PATH here (a login node) and job directories are
 * this machine's directories, so nothing is copied.
 *
 * @example
 * new SlurmExecutor({ partition: "debug", tunnel: new LocalTunnel() });
 */
export class LocalTunnel implements Tunnel {
  readonly kind = "local";
  readonly sharedFilesystem = true;
  readonly options: Readonly<Required<LocalTunnelOptions>>;

  constructor(options: LocalTunnelOptions = {}) {
    this.options = Object.freeze({ env: Object.freeze({ ...(options.env ?? {}) }) });
  }

  get endpoint(): string {
    return `local:${this.options.env.SLURM_CONF ?? ""}`;
  }

  remoteJobDir(localJobDir: string): string {
    return localJobDir;
  }

  exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    const env = { ...process.env, ...this.options.env, ...options.env };
    // Without input the script goes on stdin: a long script (a 1000-element array) exceeds one argument's limit.
    return options.input === undefined
      ? runProcess(["bash", "-s"], { input: script, env })
      : runProcess(["bash", "-c", script], { input: options.input, env });
  }

  async putFiles(files: readonly RemoteFile[]): Promise<void> {
    for (const file of files) {
      mkdirSync(dirname(file.path), { recursive: true });
      const temp = `${file.path}.${process.pid}.tmp`;
      writeFileSync(temp, file.content);
      if (file.mode !== undefined) chmodSync(temp, file.mode);
      renameSync(temp, file.path);
    }
  }

  async putDirectory(localDir: string, remoteDir: string, options: TransferOptions = {}): Promise<void> {
    if (localDir === remoteDir) return;
    for (const member of options.members ?? ["."]) {
      mkdirSync(join(remoteDir, member), { recursive: true });
      cpSync(join(localDir, member), join(remoteDir, member), { recursive: true });
    }
  }

  async getDirectory(remoteDir: string, localDir: string): Promise<void> {
    await this.putDirectory(remoteDir, localDir);
  }

  async readFrom(files: readonly { path: string; offset: number }[]): Promise<(Buffer | undefined)[]> {
    return files.map(({ path, offset }) => readFileFrom(path, offset));
  }

  toConfig(): TunnelConfig {
    return { kind: this.kind, env: { ...this.options.env } };
  }

  async close(): Promise<void> {}
}
