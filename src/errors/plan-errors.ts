import { LabrunError } from "./labrun-error.js";

/** A plan (docs/plan-protocol.md) that is not JSON or does not match the schema. */
export class PlanInvalidError extends LabrunError {
  override readonly code = "PLAN_INVALID";
}

/** A plan of a protocol version this engine does not read. */
export class PlanVersionError extends LabrunError {
  override readonly code = "PLAN_VERSION";
  constructor(version: unknown, supported: readonly number[]) {
    super(
      `This plan is of version ${JSON.stringify(version)}; this labrun reads plan version${supported.length > 1 ? "s" : ""} ${supported.join(", ")}. ` +
        "Install matching versions of the labrun engine (npm) and its Python client.",
      { details: { version, supported } },
    );
  }
}
