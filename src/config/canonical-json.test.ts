import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "./canonical-json.js";

describe("canonicalJson", () => {
  it("sorts keys at every level and drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("gives equal hashes for equal values written in different key orders", () => {
    expect(sha256Hex(canonicalJson({ lr: 0.001, bs: 32 }))).toBe(
      sha256Hex(canonicalJson({ bs: 32, lr: 1e-3 })),
    );
    expect(sha256Hex(canonicalJson({ lr: 0.001 }))).not.toBe(sha256Hex(canonicalJson({ lr: 0.0001 })));
  });
});
