import { z } from "zod";

export const jobStates = [
  "PENDING",
  "WAITING",
  "SUBMITTED",
  "RUNNING",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
] as const;
export type JobState = (typeof jobStates)[number];
export const terminalStates: ReadonlySet<JobState> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
export const activeStates: ReadonlySet<JobState> = new Set(["SUBMITTED", "RUNNING"]);

export function isTerminal(state: JobState): boolean {
  return terminalStates.has(state);
}

const configSchema = z.looseObject({ kind: z.string() });

/** job.json: everything needed to rebuild, re-attach to and report on one job. */
export const jobRecordSchema = z.object({
  version: z.literal(1),
  experimentId: z.string(),
  name: z.string(),
  index: z.number().int(),
  group: z.string().optional(),
  task: configSchema,
  executor: configSchema,
  dependencies: z.array(z.string()),
  state: z.enum(jobStates),
  reason: z.string().optional(),
  handle: z.string().optional(),
  attempt: z.number().int(),
  /** How many times a failed attempt is submitted again, and the first wait (doubled each time, at most 5 min). */
  retries: z.number().int().min(0).optional(),
  retryDelayMs: z.number().int().min(0).optional(),
  /** Units of workspace-wide concurrency tokens the job holds while it runs. */
  tokens: z
    .array(z.object({ name: z.string(), capacity: z.number().int(), count: z.number().int() }))
    .optional(),
  /** The command as computed at launch: what any process (a supervisor, a resume) submits. */
  launch: z
    .object({
      argv: z.array(z.string()),
      env: z.record(z.string(), z.string()),
      cwd: z.string(),
      files: z.array(z.object({ name: z.string(), content: z.string() })),
    })
    .optional(),
  /** When a job waiting to be retried may be submitted again. */
  retryAt: z.string().optional(),
  exitCode: z.number().int().optional(),
  createdAt: z.string(),
  submittedAt: z.string().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
});

export type JobRecord = z.infer<typeof jobRecordSchema>;
