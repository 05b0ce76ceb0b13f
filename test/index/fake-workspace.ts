// Experiment folders written directly (as a driver would leave them), to test and measure the index
// without running jobs.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { experimentRecordSchema } from "../../src/experiment/experiment-record.js";
import type { ExperimentRecord } from "../../src/experiment/experiment-record.js";
import { jobRecordSchema } from "../../src/workspace/job-record.js";
import { writeJsonAtomic } from "../../src/util/atomic-file.js";
import type { JobRecord, JobState } from "../../src/workspace/job-record.js";

export interface FakeExperiment {
  readonly title: string;
  readonly id: string;
  readonly host?: string;
  readonly createdAt?: string;
  /** One job per state; jobs are `jobs/<task>/<hash of id and index>` unless `sharedJobs` names their dirs. */
  readonly jobs: readonly JobState[];
  /** Job directories (relative) to use instead, by job index: shared with other experiments. */
  readonly sharedJobs?: Readonly<Record<number, string>>;
  readonly finished?: boolean;
}

/** Writes experiment.json and every job.json; returns the experiment's directory and its job directories. */
export function writeFakeExperiment(
  root: string,
  fake: FakeExperiment,
  options: { validate?: boolean } = {},
): { dir: string; jobDirs: string[] } {
  const createdAt = fake.createdAt ?? new Date().toISOString();
  const dir = join(root, "experiments", fake.title, fake.id);
  const jobDirs = fake.jobs.map(
    (_, index) =>
      fake.sharedJobs?.[index] ??
      join("jobs", "step", createHash("sha256").update(`${fake.id}/${index}`).digest("hex").slice(0, 32)),
  );
  fake.jobs.forEach((state, index) => {
    const record: JobRecord = {
      version: 1,
      experimentId: fake.id,
      name: `step-${index}`,
      index,
      task: { kind: "script", inline: `echo ${index}` },
      executor: { kind: "local" },
      dependencies: [],
      state,
      attempt: state === "PENDING" ? 0 : 1,
      createdAt,
      ...(state === "COMPLETED" || state === "FAILED" ? { exitCode: state === "COMPLETED" ? 0 : 1 } : {}),
      ...(state === "COMPLETED" || state === "FAILED" || state === "CANCELLED" ? { endedAt: createdAt } : {}),
    };
    if (options.validate) jobRecordSchema.parse(record);
    writeJsonAtomic(join(root, jobDirs[index]!, "job.json"), record);
  });
  const record: ExperimentRecord = {
    version: 1,
    title: fake.title,
    id: fake.id,
    createdAt,
    launchedAt: createdAt,
    ...(fake.finished ? { finishedAt: createdAt } : {}),
    host: fake.host ?? "fake-host",
    user: "tester",
    cwd: root,
    commandLine: ["node", "experiment.ts"],
    git: { commit: "0123456789abcdef0123456789abcdef01234567", dirty: false, root, branch: "main" },
    mode: { detach: false, sequential: false, direct: false },
    jobs: fake.jobs.map((_, index) => ({ index, name: `step-${index}`, task: "step", dir: jobDirs[index]! })),
  };
  if (options.validate) experimentRecordSchema.parse(record);
  writeJsonAtomic(join(dir, "experiment.json"), record);
  return { dir, jobDirs };
}

/** Moves a job to `state` on disk, as a driver would (atomic rewrite of job.json). */
export function setJobState(root: string, jobDir: string, state: JobState): void {
  const file = join(root, jobDir, "job.json");
  const record = jobRecordSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  writeJsonAtomic(file, { ...record, state });
}
