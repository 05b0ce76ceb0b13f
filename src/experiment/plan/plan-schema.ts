import { z } from "zod";

// The plan a Python client hands to the engine (docs/plan-protocol.md), declared once. Objects are strict:
// an unknown field is an error naming it, never silently dropped.

/** The newest plan version this engine reads (2 added `services`). */
export const PLAN_VERSION = 2;
/** Every plan version this engine reads: a version-1 plan is a version-2 plan without services. */
export const PLAN_VERSIONS: readonly number[] = [1, 2];

const text = z.string().min(1);
const env = z.record(z.string(), z.string());
// JSON.parse only makes JSON values, but reads 1e999 as Infinity, which no language can pass on as JSON.
const finiteJson = z.custom<unknown>(
  (value) => !hasNonFinite(value),
  "NaN and Infinity are not JSON; pass finite numbers",
);

function hasNonFinite(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasNonFinite);
  return false;
}
const count = (min: number) => z.number().int().min(min);

const localTunnel = z.strictObject({ kind: z.literal("local"), env: env.optional() });
const sshTunnel = z.strictObject({
  kind: z.literal("ssh"),
  host: text,
  user: text.optional(),
  port: count(1).max(65535).optional(),
  identity: text.optional(),
  jobDir: text,
  sshOptions: env.optional(),
  persistSeconds: count(0).optional(),
  interactive: z.boolean().optional(),
});
const gitArchivePackager = z.strictObject({
  kind: z.literal("git-archive"),
  path: text.optional(),
  ref: text.optional(),
  includeUncommitted: z.boolean().optional(),
});
const patternPackager = z.strictObject({
  kind: z.literal("pattern"),
  include: z.array(text).min(1),
  root: text.optional(),
});

const localExecutor = z.strictObject({
  kind: z.literal("local"),
  maxParallel: count(1).optional(),
  env: env.optional(),
  cancelGraceMs: count(0).optional(),
});
const directExecutor = z.strictObject({
  kind: z.literal("direct"),
  env: env.optional(),
  cancelGraceMs: count(0).optional(),
});
const slurmExecutor = z.strictObject({
  kind: z.literal("slurm"),
  account: text.optional(),
  partition: text.optional(),
  nodes: count(1).optional(),
  ntasksPerNode: count(1).optional(),
  cpusPerTask: count(1).optional(),
  gpusPerNode: count(0).optional(),
  mem: text.optional(),
  time: text.optional(),
  exclusive: z.boolean().optional(),
  requeue: z.boolean().optional(),
  additionalParameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  jobName: text.optional(),
  array: z.union([z.boolean(), z.strictObject({ throttle: count(1).optional() })]).optional(),
  setupLines: z.union([z.string(), z.array(z.string())]).optional(),
  env: env.optional(),
  maxParallel: count(1).optional(),
  resumeOnTimeout: count(0).optional(),
  tunnel: z.discriminatedUnion("kind", [localTunnel, sshTunnel]).optional(),
  packager: z.discriminatedUnion("kind", [gitArchivePackager, patternPackager]).optional(),
});

export const executorSpec = z.discriminatedUnion("kind", [localExecutor, directExecutor, slurmExecutor]);
export type ExecutorSpec = z.infer<typeof executorSpec>;

const taskCommon = {
  name: text.optional(),
  env: env.optional(),
  cwd: text.optional(),
};
const pythonCommon = {
  ...taskCommon,
  module: text.optional(),
  file: text.optional(),
  python: text.optional(),
  pythonpath: z.array(text).optional(),
};

const scriptTask = z.strictObject({
  kind: z.literal("script"),
  ...taskCommon,
  inline: z.string().optional(),
  path: text.optional(),
  args: z.array(z.string()).optional(),
  entrypoint: z.string().optional(),
  m: z.boolean().optional(),
});
const pythonPartialTask = z.strictObject({
  kind: z.literal("python-partial"),
  ...pythonCommon,
  function: text,
  args: z.array(finiteJson).optional(),
  kwargs: z.record(z.string(), finiteJson).optional(),
});
const pythonTypedTask = z.strictObject({
  kind: z.literal("python-task"),
  ...pythonCommon,
  taskId: text,
  qualname: text,
  params: z.record(z.string(), finiteJson),
  meta: z.array(z.array(z.string()).min(1)).optional(),
  identity: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
const tsPartialTask = z.strictObject({
  kind: z.literal("partial"),
  ...taskCommon,
  module: text,
  fn: text.optional(),
  args: z.array(finiteJson).optional(),
});

export const taskSpec = z.discriminatedUnion("kind", [
  scriptTask,
  pythonPartialTask,
  pythonTypedTask,
  tsPartialTask,
]);
export type TaskSpec = z.infer<typeof taskSpec>;
export type PythonPartialSpec = z.infer<typeof pythonPartialTask>;
export type PythonTaskSpec = z.infer<typeof pythonTypedTask>;

const jobEntry = z
  .strictObject({
    name: text,
    task: taskSpec.optional(),
    tasks: z.array(taskSpec).min(1).optional(),
    executor: executorSpec.optional(),
    executors: z.array(executorSpec).min(1).optional(),
    dependencies: z.array(text).optional(),
    tailLogs: z.boolean().optional(),
    retries: count(0).optional(),
    retryDelayMs: count(0).optional(),
    force: z.boolean().optional(),
    tokens: z.array(z.strictObject({ name: text, capacity: count(1), count: count(1) })).optional(),
  })
  .refine((job) => (job.task === undefined) !== (job.tasks === undefined), {
    message: "give exactly one of `task` (one job) and `tasks` (a group)",
    path: ["task"],
  })
  .refine((job) => job.executor === undefined || job.executors === undefined, {
    message: "give `executor` (one for all) or `executors` (one per task), not both",
    path: ["executors"],
  });
export type JobEntry = z.infer<typeof jobEntry>;

// A service of the experiment (version 2): a Python `Service` instance, rebuilt in its own process from its
// class and `state` (experimaestro's `state_dict()`), or labrun's built-in job-files browser.
const pythonService = z.strictObject({
  kind: z.literal("python"),
  id: text,
  description: z.string().optional(),
  module: text.optional(),
  file: text.optional(),
  qualname: text,
  state: z.record(z.string(), finiteJson).optional(),
  python: text.optional(),
  pythonpath: z.array(text).optional(),
  env: env.optional(),
  cwd: text.optional(),
  startTimeoutMs: count(1).optional(),
});
const jobFilesService = z.strictObject({
  kind: z.literal("job-files"),
  id: text.optional(),
  host: text.optional(),
  port: count(0).max(65535).optional(),
});
export const serviceSpec = z.discriminatedUnion("kind", [pythonService, jobFilesService]);
export type ServiceSpec = z.infer<typeof serviceSpec>;
export type PythonServiceSpec = z.infer<typeof pythonService>;

export const runModeSpec = z.enum(["NORMAL", "DRY_RUN", "GENERATE"]);

export const planSchema = z
  .strictObject({
    labrunPlan: z.union([z.literal(1), z.literal(2)]),
    title: z.string().refine((title) => title.trim() !== "", "an experiment needs a non-empty title"),
    id: text.nullish(),
    workspace: text.nullish(),
    cwd: text.nullish(),
    logLevel: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]).nullish(),
    cleanMode: z.boolean().nullish(),
    dirtyGit: z.enum(["error", "warn", "ignore"]).nullish(),
    executor: executorSpec.nullish(),
    python: z.strictObject({ interpreter: text.optional(), pythonpath: z.array(text).optional() }).nullish(),
    run: z
      .strictObject({
        detach: z.boolean().optional(),
        sequential: z.boolean().optional(),
        tailLogs: z.boolean().optional(),
        direct: z.boolean().optional(),
        force: z.boolean().optional(),
      })
      .nullish(),
    mode: runModeSpec.nullish(),
    jobs: z.array(jobEntry),
    services: z.array(serviceSpec).optional(),
  })
  .refine((plan) => plan.labrunPlan >= 2 || plan.services === undefined, {
    message: 'services need plan version 2 (`"labrunPlan": 2`)',
    path: ["services"],
  })
  .refine((plan) => !plan.services?.length || !plan.run?.detach, {
    message:
      "services run in the engine's process, which ends when the launch detaches: run without `detach`, or start the service yourself",
    path: ["services"],
  });
export type Plan = z.infer<typeof planSchema>;
