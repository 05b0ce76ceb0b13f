import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Script } from "../config/script.js";
import { ExperimentStateError } from "../errors.js";
import { LocalExecutor } from "../executors/local/local-executor.js";
import { Job } from "./job.js";

const root = mkdtempSync(join(tmpdir(), "labrun-job-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function newJob(): Job {
  const task = new Script({ inline: "true" });
  const executor = new LocalExecutor();
  const record = {
    version: 1 as const,
    experimentId: "e",
    name: "j",
    index: 0,
    task: task.toConfig(),
    executor: executor.toConfig(),
    dependencies: [],
    state: "PENDING" as const,
    attempt: 0,
    createdAt: new Date().toISOString(),
  };
  return new Job(record, join(root, String(Math.random())), task, executor);
}

const onDisk = (job: Job) =>
  JSON.parse(readFileSync(Job.fileIn(job.dir), "utf8")) as { state: string; attempt: number };

describe("Job transitions", () => {
  it("write job.json before returning, at every step that recovery depends on", () => {
    const job = newJob();
    job.save();
    job.markWaiting();
    expect(job.state).toBe("WAITING");
    expect(onDisk(job).state).toBe("PENDING"); // derived by readers; saved with the next change
    job.markSubmitted();
    expect(onDisk(job)).toMatchObject({ state: "SUBMITTED", attempt: 1 });
    job.markRunning();
    expect(onDisk(job).state).toBe("RUNNING");
    job.markCompleted(0);
    expect(onDisk(job).state).toBe("COMPLETED");
  });

  it("refuse a transition from the wrong state and leave the record as it was", () => {
    const job = newJob();
    job.save();
    expect(() => job.markRunning()).toThrow(ExperimentStateError);
    job.markCancelled("because");
    expect(() => job.markSubmitted()).toThrow(/cannot go from CANCELLED to SUBMITTED/);
    expect(onDisk(job).state).toBe("CANCELLED");
  });

  it("put a job that never started back to PENDING, keeping its attempt count", () => {
    const job = newJob();
    job.save();
    job.markSubmitted();
    job.markNeverStarted();
    expect(onDisk(job)).toMatchObject({ state: "PENDING", attempt: 1 });
  });

  it("are readable again from job.json", () => {
    const job = newJob();
    job.save();
    job.markSubmitted();
    const loaded = Job.load(job.dir, () => new LocalExecutor())!;
    expect(loaded.state).toBe("SUBMITTED");
    expect(loaded.task.identity).toBe(job.task.identity);
  });
});
