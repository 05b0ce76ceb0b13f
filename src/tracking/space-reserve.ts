import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * `<run>/.space-reserve`: a few pages an owner sets aside when it opens a run, so that it can still record
 * the run's final status (and its lost-record count) when the disk fills up: the reserve is given back just
 * before that last write is tried again. Removed when the run ends.
 */
export const spaceReserveFile = ".space-reserve";
const reserveBytes = 32 * 1024;

/** Sets the reserve aside; a disk already too full for it just has none. */
export function reserveSpace(dir: string): void {
  const file = join(dir, spaceReserveFile);
  try {
    const fd = openSync(file, "w");
    try {
      writeSync(fd, Buffer.alloc(reserveBytes));
    } finally {
      closeSync(fd);
    }
  } catch {
    rmSync(file, { force: true });
  }
}

/** Gives the reserve back to the disk. */
export function releaseSpace(dir: string): void {
  rmSync(join(dir, spaceReserveFile), { force: true });
}
