/**
 * How the Slurm executor reaches its cluster: run a shell script there and move files to and from it.
 * One implementation per transport (`LocalTunnel` on a login node, `SSHTunnel` from a laptop).
 *
 * Deliberately left out: anything Slurm-specific (the executor builds the commands), retries (a failed
 * command is reported, the caller decides), and interactive prompts (an SSH tunnel authenticates once,
 * up front, and reuses that connection).
 */
export interface Tunnel {
  /** Registry key used by `tunnelFromConfig` (`local`, `ssh`). */
  readonly kind: string;
  /** Names the cluster this tunnel reaches (jobs on the same one may wait for each other in Slurm). */
  readonly endpoint: string;
  /** True when paths on the cluster are this machine's paths (nothing to copy). */
  readonly sharedFilesystem: boolean;
  /** On a cluster without this machine's files: the directory standing for the workspace (LABRUN_HOME) there. */
  readonly remoteRoot?: string;
  /** Where a job directory of this machine lives on the cluster. */
  remoteJobDir(localJobDir: string): string;
  /** Runs a bash script on the cluster; resolves with its output and exit code (never rejects on a non-zero code). */
  exec(script: string, options?: ExecOptions): Promise<ExecResult>;
  /** Writes files on the cluster (absolute paths), creating their directories. */
  putFiles(files: readonly RemoteFile[]): Promise<void>;
  /**
   * Copies a local directory's contents into a directory on the cluster (created if missing); with `members`,
   * only those paths under it (many job directories in one transfer).
   */
  putDirectory(localDir: string, remoteDir: string, options?: TransferOptions): Promise<void>;
  /** Copies a directory on the cluster into a local directory (created if missing). */
  getDirectory(
    remoteDir: string,
    localDir: string,
    options?: { readonly exclude?: readonly string[] },
  ): Promise<void>;
  /** The bytes of each file from its offset on; undefined for a file that does not exist. */
  readFrom(
    files: readonly { readonly path: string; readonly offset: number }[],
  ): Promise<(Buffer | undefined)[]>;
  toConfig(): TunnelConfig;
  /** Closes the shared connection, if any. */
  close(): Promise<void>;
}

export interface TransferOptions {
  /** tar patterns to leave out (`./job.lock`). */
  readonly exclude?: readonly string[];
  /** Paths relative to the source directory to copy instead of all of it. */
  readonly members?: readonly string[];
}

export interface TunnelConfig {
  readonly kind: string;
  readonly [key: string]: unknown;
}

export interface ExecOptions {
  /** Bytes for the script's standard input (the script itself travels separately). */
  readonly input?: Buffer | string;
  /** Extra environment variables for the script. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RemoteFile {
  readonly path: string;
  readonly content: string | Buffer;
  readonly mode?: number;
}
