/**
 * What code a remote job needs, as one tar archive, copied to the cluster once per experiment (the Slurm
 * executor extracts it into `<experiment dir>/code` there and runs jobs from it).
 *
 * Deliberately left out: where the archive goes and how (the executor and its tunnel decide), and any
 * caching across experiments (an experiment's code is a snapshot of its own).
 */
export interface Packager {
  /** Registry key used by `packagerFromConfig` (`git-archive`, `pattern`). */
  readonly kind: string;
  /** The local directory the archive's paths are relative to: paths under it are mapped into the shipped copy. */
  readonly root: string;
  /** A tar archive of the files to ship; throws a typed error when they cannot be packaged as asked. */
  archive(): Promise<Buffer>;
  toConfig(): PackagerConfig;
}

export interface PackagerConfig {
  readonly kind: string;
  readonly [key: string]: unknown;
}
