import { describe, expect, it } from "vitest";
import { isLabrunError } from "../../errors.js";
import { mapDatabaseError } from "./db-errors.js";

// A PostgreSQL server whose disk is full cannot be made in a test (its data folder is the shared test
// cluster's); the errors its driver throws are reproduced by their codes. SQLite's is tested for real
// (test/faults/server-enospc.test.ts).
describe("mapDatabaseError", () => {
  const codeOf = (error: unknown) => (isLabrunError(error) ? error.code : "raw");
  it("maps every disk-full code to STORAGE_FULL (507), other outages to STORE_UNAVAILABLE (503)", () => {
    const raw = (code: string, message = "boom") => Object.assign(new Error(message), { code });
    expect(
      codeOf(mapDatabaseError("db", raw("53100", "could not extend file: No space left on device"))),
    ).toBe("STORAGE_FULL");
    expect(codeOf(mapDatabaseError("db", raw("SQLITE_FULL", "database or disk is full")))).toBe(
      "STORAGE_FULL",
    );
    expect(codeOf(mapDatabaseError("db", raw("ENOSPC")))).toBe("STORAGE_FULL");
    expect(codeOf(mapDatabaseError("db", raw("ECONNREFUSED")))).toBe("STORE_UNAVAILABLE");
    expect(codeOf(mapDatabaseError("db", raw("53200", "out of memory")))).toBe("STORE_UNAVAILABLE");
    expect(codeOf(mapDatabaseError("db", raw("23505", "duplicate key")))).toBe("raw");
  });
});
