import { describe, expect, it } from "vitest";
import { InvalidRunModeError, isLabrunError } from "../errors.js";
import { parseRunMode } from "./run-mode.js";

describe("parseRunMode", () => {
  it("accepts experimaestro's spellings", () => {
    expect(parseRunMode("NORMAL")).toBe("NORMAL");
    expect(parseRunMode("normal")).toBe("NORMAL");
    expect(parseRunMode("dry-run")).toBe("DRY_RUN");
    expect(parseRunMode("DRY_RUN")).toBe("DRY_RUN");
    expect(parseRunMode(" generate ")).toBe("GENERATE");
  });

  it("rejects anything else with a usage error that lists the modes", () => {
    let error: unknown;
    try {
      parseRunMode("fast");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidRunModeError);
    expect(isLabrunError(error) && error.code).toBe("USAGE");
    expect((error as Error).message).toMatch(/NORMAL .* DRY_RUN .* GENERATE/);
  });
});
