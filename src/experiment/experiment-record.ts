import { z } from "zod";

/** experiment.json: what was launched, where, by whom, from which code; the jobs are listed by directory. */
export const experimentRecordSchema = z.object({
  version: z.literal(1),
  title: z.string(),
  id: z.string(),
  createdAt: z.string(),
  launchedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  host: z.string(),
  user: z.string(),
  cwd: z.string(),
  commandLine: z.array(z.string()),
  git: z
    .object({
      commit: z.string(),
      dirty: z.boolean(),
      root: z.string(),
      branch: z.string().nullable().optional(),
    })
    .nullable(),
  mode: z.object({ detach: z.boolean(), sequential: z.boolean(), direct: z.boolean() }),
  jobs: z.array(
    z.object({
      index: z.number().int(),
      name: z.string(),
      task: z.string(),
      /** Job directory, relative to the workspace root. */
      dir: z.string(),
      group: z.string().optional(),
      /** Names of the jobs it waits for (absent in records written before reuse: then job.json has them). */
      dependencies: z.array(z.string()).optional(),
      /** True when a COMPLETED job of another experiment with the same identity was reused. */
      reused: z.boolean().optional(),
    }),
  ),
});

export type ExperimentRecord = z.infer<typeof experimentRecordSchema>;

export const experimentStates = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type ExperimentState = (typeof experimentStates)[number];

/** An experiment's state follows from its jobs': any active → RUNNING, else the worst outcome. */
export function experimentState(jobStates: readonly string[], launched: boolean): ExperimentState {
  if (!launched) return "PENDING";
  if (jobStates.some((s) => s === "PENDING" || s === "WAITING" || s === "SUBMITTED" || s === "RUNNING"))
    return "RUNNING";
  if (jobStates.includes("FAILED")) return "FAILED";
  if (jobStates.includes("CANCELLED")) return "CANCELLED";
  return "COMPLETED";
}
