import { describe, expect, it } from "vitest";
import { DependencyCycleError, UnknownDependencyError } from "../errors.js";
import { checkDependencyGraph } from "./dependency-graph.js";

const graph = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

describe("checkDependencyGraph", () => {
  it("orders every job after its dependencies", () => {
    const order = checkDependencyGraph(graph({ eval: ["a", "b"], a: ["prep"], b: ["prep"], prep: [] }));
    expect(order.indexOf("prep")).toBeLessThan(order.indexOf("a"));
    expect(order.indexOf("a")).toBeLessThan(order.indexOf("eval"));
    expect(order.indexOf("b")).toBeLessThan(order.indexOf("eval"));
  });

  it("names the jobs of a cycle in order", () => {
    expect(() => checkDependencyGraph(graph({ a: ["b"], b: ["c"], c: ["a"] }))).toThrow(DependencyCycleError);
    try {
      checkDependencyGraph(graph({ a: ["b"], b: ["c"], c: ["a"], d: [] }));
    } catch (error) {
      expect((error as DependencyCycleError).details.cycle).toEqual(["a", "b", "c", "a"]);
    }
    expect(() => checkDependencyGraph(graph({ self: ["self"] }))).toThrow(/self → self/);
  });

  it("rejects a dependency on a job that does not exist", () => {
    expect(() => checkDependencyGraph(graph({ a: ["ghost"] }))).toThrow(UnknownDependencyError);
  });

  it("handles a 20,000-job chain without overflowing the stack", () => {
    const entries: Record<string, string[]> = { j0: [] };
    for (let i = 1; i < 20_000; i++) entries[`j${i}`] = [`j${i - 1}`];
    expect(checkDependencyGraph(graph(entries))).toHaveLength(20_000);
  });
});
