// `labrun/plan`: the launch protocol of the Python client (docs/plan-protocol.md).
export { parsePlan } from "./parse-plan.js";
export { runPlan } from "./run-plan.js";
export type { PlanOutcome, RunPlanOptions } from "./run-plan.js";
export type { Plan } from "./plan-schema.js";
export { typedTaskIdentity } from "../../config/python/python-task-identity.js";
