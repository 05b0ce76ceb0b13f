import { describe, expect, it } from "vitest";
import * as errors from "../errors.js";
import { errorClass, errorStatus, errorTable, isErrorCode, LabrunError, type ErrorCode } from "../errors.js";

const entries = Object.entries(errorTable) as [ErrorCode, (typeof errorTable)[ErrorCode]][];
// Classes whose code is not labrun's own: MLflow's codes, and codes of a newer server.
const foreign = new Set<unknown>([errors.MlflowRequestError, errors.ServerRequestError]);

describe("errorTable", () => {
  it("gives each code one class, and a class more than one code only for one kind of refusal", () => {
    const codesOf = new Map<unknown, ErrorCode[]>();
    for (const [code, entry] of entries)
      codesOf.set(entry.class, [...(codesOf.get(entry.class) ?? []), code]);
    const shared = [...codesOf.entries()].filter(([, codes]) => codes.length > 1);
    expect(shared.map(([Class, codes]) => [(Class as { name: string }).name, codes])).toEqual([
      ["RequestTooLargeError", ["URI_TOO_LONG", "HEADERS_TOO_LARGE"]],
    ]);
  });

  it("holds every exported error class, or a subclass or base with its code", () => {
    const inTable = entries.map(([, entry]) => entry.class as unknown as typeof LabrunError);
    const missing = Object.entries(errors)
      .filter(
        ([, value]) =>
          typeof value === "function" && (value === LabrunError || value.prototype instanceof LabrunError),
      )
      .filter(([, value]) => !foreign.has(value))
      .filter(([, value]) => {
        const Class = value as typeof LabrunError;
        return !inTable.some(
          (T) => T === Class || T.prototype instanceof Class || Class.prototype instanceof T,
        );
      })
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it("answers lookups by code and refuses foreign codes", () => {
    expect(errorStatus("EXPERIMENT_NOT_FOUND")).toBe(404);
    expect(errorStatus("STORAGE_FULL")).toBe(507);
    expect(errorClass("RUN_NOT_FOUND")).toBe(errors.StoredRunNotFoundError);
    expect(isErrorCode("RESOURCE_DOES_NOT_EXIST")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
    expect(errorStatus("__proto__")).toBeUndefined();
    expect(Object.isFrozen(errorTable)).toBe(true);
  });

  it("is what the classes throw: constructed errors carry the code the table files them under", () => {
    const samples: errors.LabrunError[] = [
      new errors.UnknownExperimentError("x", "/ws"),
      new errors.StoredRunNotFoundError("r"),
      new errors.RunNotFoundError("/runs/a/b"),
      new errors.RequestTooLargeError("url", 10),
      new errors.RequestTooLargeError("headers", 10),
      new errors.ShuttingDownError(),
      new errors.InternalServerError(),
      new errors.InvalidRunModeError("FAST"),
    ];
    for (const error of samples) {
      expect(isErrorCode(error.code), error.name).toBe(true);
      if (!isErrorCode(error.code)) continue;
      // RunNotFoundError is the base of the table's StoredRunNotFoundError: one code, one family.
      const Class = errorTable[error.code].class;
      expect(error instanceof Class || Class.prototype instanceof error.constructor, error.name).toBe(true);
    }
  });
});
