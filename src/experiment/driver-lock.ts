import { join } from "node:path";
import { ExperimentBusyError } from "../errors.js";
import { ProcessLock } from "../workspace/process-lock.js";

export type { LockHolder } from "../workspace/process-lock.js";

/** Only one process drives an experiment (submits, records states) at a time: the one holding `driver.lock`. */
export class DriverLock extends ProcessLock {
  constructor(experimentDir: string) {
    super(join(experimentDir, "driver.lock"));
  }

  acquire(experimentId: string): void {
    const live = this.tryAcquire();
    if (live) throw new ExperimentBusyError(experimentId, live);
  }
}
