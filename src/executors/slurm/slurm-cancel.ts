import { setTimeout as sleep } from "node:timers/promises";
import type { JobRef } from "../executor.js";
import type { Tunnel } from "../tunnel/tunnel.js";
import type { SlurmPoller } from "./slurm-poller.js";
import { isActiveSlurmState, squeue } from "./slurm-status.js";

/** How long to wait for Slurm to end cancelled jobs before sending SIGKILL itself (Slurm's KillWait is often 30 s). */
const killAfterMs = 10_000;
const giveUpAfterMs = 60_000;

/**
 * Cancels jobs with scancel. Cancels asked for together (an experiment, a job and its dependents) go in one
 * scancel call; each resolves once Slurm no longer runs any of the job's processes.
 */
export class SlurmCanceller {
  readonly #tunnel: Tunnel;
  readonly #poller: SlurmPoller;
  #batch: { handles: Set<string>; refs: JobRef[]; done: Promise<void> } | undefined;

  constructor(tunnel: Tunnel, poller: SlurmPoller) {
    this.#tunnel = tunnel;
    this.#poller = poller;
  }

  cancel(job: JobRef): Promise<void> {
    if (!job.handle) return Promise.resolve();
    if (!this.#batch) {
      const batch = { handles: new Set<string>(), refs: [] as JobRef[], done: Promise.resolve() };
      // Collect every cancel asked for in this turn of the event loop, then act once.
      batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.#batch = undefined;
        return this.#run([...batch.handles], batch.refs);
      });
      this.#batch = batch;
    }
    this.#batch.handles.add(job.handle);
    this.#batch.refs.push(job);
    return this.#batch.done;
  }

  async #run(handles: readonly string[], refs: readonly JobRef[]): Promise<void> {
    await this.#tunnel.exec(`scancel ${handles.join(" ")}`);
    this.#poller.invalidate();
    const start = Date.now();
    let killed = false;
    for (;;) {
      const result = await squeue(this.#tunnel, handles);
      // A controller that does not answer cannot confirm anything: keep asking until the deadline.
      const active = result.ok
        ? [...result.rows.values()].filter((row) => handles.includes(row.id) && isActiveSlurmState(row.state))
        : handles.map((id) => ({ id }));
      if (active.length === 0) break;
      if (Date.now() - start > giveUpAfterMs) break;
      if (!killed && Date.now() - start > killAfterMs) {
        killed = true;
        await this.#tunnel.exec(`scancel --signal=KILL --full ${active.map((row) => row.id).join(" ")}`);
      }
      await sleep(200);
    }
    for (const ref of refs) await this.#poller.bringBack(ref);
  }
}
