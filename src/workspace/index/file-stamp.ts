import { statSync } from "node:fs";

/** The stamp of a file that does not exist. */
export const missingStamp = "-";

/**
 * What tells that a file changed since it was read: inode, size and modification time. Records are replaced
 * by renaming a new file over the old one, which gives a new inode even when the clock's resolution would
 * hide the change, so comparing stamps for equality (never for order) is enough.
 */
export function fileStamp(file: string): string {
  const stats = statSync(file, { throwIfNoEntry: false });
  return stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}` : missingStamp;
}

/** The modification time (ms) a stamp holds; 0 for a missing file. */
export function stampTime(stamp: string): number {
  const time = Number(stamp.slice(stamp.lastIndexOf(":") + 1));
  return Number.isFinite(time) && stamp !== missingStamp ? time : 0;
}
