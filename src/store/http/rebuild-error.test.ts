import { describe, expect, it } from "vitest";
import {
  errorTable,
  InvalidPrefixError,
  isLabrunError,
  RequestTooLargeError,
  RunNotFoundError,
  ServerRequestError,
  StoredRunNotFoundError,
  type ErrorCode,
} from "../../errors.js";
import { rebuildError } from "./rebuild-error.js";
import { decodeWireDeep as decodeDeep } from "../../format/wire-json.js";
import { decodeFields, encodeFields } from "./wire.js";

describe("rebuildError", () => {
  it("rebuilds the class of a known code with the server's message and details", () => {
    const error = rebuildError(404, { code: "RUN_NOT_FOUND", message: "No run x.", details: { run: "x" } });
    // The server's stores throw StoredRunNotFoundError; code that catches RunNotFoundError still sees it.
    expect(error).toBeInstanceOf(StoredRunNotFoundError);
    expect(error).toBeInstanceOf(RunNotFoundError);
    expect(isLabrunError(error)).toBe(true);
    expect(error).toMatchObject({
      code: "RUN_NOT_FOUND",
      message: "No run x.",
      name: "StoredRunNotFoundError",
    });
    expect(error.details).toEqual({ run: "x", status: 404 });
    expect(rebuildError(400, { code: "INVALID_PREFIX", message: "bad" })).toBeInstanceOf(InvalidPrefixError);
  });

  it("rebuilds every code of the table as its class, constructors that need arguments included", () => {
    for (const [code, entry] of Object.entries(errorTable) as [ErrorCode, (typeof errorTable)[ErrorCode]][]) {
      const error = rebuildError(entry.status, { code, message: `m ${code}`, details: { k: 1 } });
      expect(error, code).toBeInstanceOf(entry.class);
      expect(error, code).toMatchObject({
        code,
        message: `m ${code}`,
        details: { k: 1, status: entry.status },
      });
      expect(error).not.toBeInstanceOf(ServerRequestError);
    }
    expect(rebuildError(414, { code: "URI_TOO_LONG", message: "long" })).toBeInstanceOf(RequestTooLargeError);
  });

  it("keeps an unknown code in a ServerRequestError, and names a missing body by status", () => {
    const error = rebuildError(401, { code: "SOMETHING_NEW", message: "Ask for a token." });
    expect(error).toBeInstanceOf(ServerRequestError);
    expect(error).toMatchObject({ code: "SOMETHING_NEW", message: "Ask for a token.", status: 401 });
    expect(rebuildError(502, undefined)).toMatchObject({ code: "INTERNAL", name: "InternalServerError" });
    expect(rebuildError(400, undefined).message).toContain("HTTP 400");
  });
});

describe("wire values", () => {
  it("sends non-finite numbers as their names and reads them back", () => {
    expect(encodeFields({ a: NaN, b: Infinity, c: -Infinity, d: 1, e: "x" })).toEqual({
      a: "NaN",
      b: "Infinity",
      c: "-Infinity",
      d: 1,
      e: "x",
    });
    const back = decodeFields({ a: "NaN", b: "Infinity", c: "-Infinity", d: 1 });
    expect(back.a).toBeNaN();
    expect(back).toMatchObject({ b: Infinity, c: -Infinity, d: 1 });
    expect(decodeDeep({ m: ["Infinity", { n: "NaN" }] })).toEqual({ m: [Infinity, { n: NaN }] });
  });
});
