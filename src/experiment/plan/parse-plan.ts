import type { z } from "zod";
import { InvalidExecutorError, InvalidTaskError, PlanInvalidError, PlanVersionError } from "../../errors.js";
import type { LabrunError } from "../../errors.js";
import { PLAN_VERSIONS, planSchema } from "./plan-schema.js";
import type { Plan } from "./plan-schema.js";

/**
 * Reads a plan (docs/plan-protocol.md) from its JSON text. Bad input throws the typed error of its part: an
 * executor option → `INVALID_EXECUTOR`, a task field → `INVALID_TASK`, the version → `PLAN_VERSION`, anything
 * else → `PLAN_INVALID`; the message names every problem with its path (`jobs[2].executor.gpus`).
 */
export function parsePlan(text: string, source = "the plan"): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PlanInvalidError(
      `${source} is not JSON (${(error as Error).message}). The Python client writes it; an engine-only user can ` +
        "write it by hand following docs/plan-protocol.md.",
      { details: { source } },
    );
  }
  return checkPlan(data, source);
}

/** Validates a parsed plan (see `parsePlan`). */
export function checkPlan(data: unknown, source = "the plan"): Plan {
  const version = (data as { labrunPlan?: unknown } | null)?.labrunPlan;
  if (data !== null && typeof data === "object" && !PLAN_VERSIONS.includes(version as number))
    throw new PlanVersionError(version, PLAN_VERSIONS);
  const parsed = planSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw planError(parsed.error.issues, source);
}

function planError(issues: readonly z.core.$ZodIssue[], source: string): LabrunError {
  const lines = issues.map((issue) => `${pathText(issue.path)}: ${describe(issue)}`);
  const message = `${source} is not valid: ${lines.join("; ")}.`;
  const details = {
    source,
    issues: issues.map((issue) => ({ path: pathText(issue.path), message: describe(issue) })),
  };
  const where = issues[0]!.path.map(String);
  if (where.some((key) => ["executor", "executors", "tunnel", "packager"].includes(key)))
    return new InvalidExecutorError(`${message} See the executor options in docs/plan-protocol.md.`, {
      details,
    });
  if (where.some((key) => key === "task" || key === "tasks"))
    return new InvalidTaskError(message, { details });
  return new PlanInvalidError(message, { details });
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys")
    return `unknown option${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `"${key}"`).join(", ")}`;
  if (issue.code === "invalid_union" && "options" in issue && Array.isArray(issue.options))
    return `unknown kind; expected one of ${issue.options.map((option) => `"${String(option)}"`).join(", ")}`;
  return issue.message;
}

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(plan)";
  return path
    .map((key, index) => (typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`))
    .join("");
}
