import { describe, expect, it } from "vitest";
import { globMatch } from "./glob-match.js";
import { nodeId, parseNodeId, parseProjectId } from "./ml-dash-ids.js";

describe("ML-Dash node ids", () => {
  it("round-trip what they name; an experiment's id is the run id itself", () => {
    const refs = [
      { kind: "project", namespace: "alice", project: "vision" },
      { kind: "folder", namespace: "alice", project: "vision", path: "a/b" },
      { kind: "folder", namespace: "alice", project: "vision", path: "models", runId: "r1" },
      { kind: "file", runId: "r1", fileId: "f1" },
      { kind: "experiment", runId: "0123abcd" },
    ] as const;
    for (const ref of refs) expect(parseNodeId(nodeId(ref))).toEqual(ref);
    expect(nodeId({ kind: "experiment", runId: "0123abcd" })).toBe("0123abcd");
    expect(nodeId({ kind: "project", namespace: "alice", project: "vision" })).toMatch(/^proj~[\w-]+$/);
  });

  it("refuse malformed ids with a 400 that says to use the server's ids", () => {
    for (const bad of ["proj~!!!", "dir~" + Buffer.from("[1,2]").toString("base64url"), "what~x"]) {
      expect(() => parseNodeId(bad)).toThrow(/not a node id of this server/);
    }
    const folder = nodeId({ kind: "folder", namespace: "a", project: "b", path: "c" });
    expect(() => parseProjectId(folder)).toThrow(/not a project id/);
  });
});

describe("globMatch (ML-Dash's file search)", () => {
  it("matches *, ** and ? as ml-dash's patterns mean them", () => {
    expect(globMatch("**/model.pt", "model.pt")).toBe(true);
    expect(globMatch("**/model.pt", "models/best/model.pt")).toBe(true);
    expect(globMatch("**/model.pt", "models/model.pth")).toBe(false);
    expect(globMatch("*.png", "a.png")).toBe(true);
    expect(globMatch("*.png", "img/a.png")).toBe(false);
    expect(globMatch("img/?.png", "img/a.png")).toBe(true);
    expect(globMatch("img/?.png", "img/ab.png")).toBe(false);
    expect(globMatch("**", "a/b/c")).toBe(true);
  });

  it("takes linear-ish time on patterns that make a backtracking matcher explode", () => {
    const started = performance.now();
    expect(globMatch("*a*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(5000))).toBe(false);
    expect(globMatch("**/**/**/**/**/x", "a/".repeat(2000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
