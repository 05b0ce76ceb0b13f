import { DependencyCycleError, UnknownDependencyError } from "../errors.js";

/**
 * Checks that every dependency names a known job and that there is no cycle; throws the typed error
 * that says which. Returns the jobs in an order where each comes after its dependencies.
 */
export function checkDependencyGraph(jobs: ReadonlyMap<string, readonly string[]>): string[] {
  for (const [job, dependencies] of jobs)
    for (const dependency of dependencies)
      if (!jobs.has(dependency)) throw new UnknownDependencyError(job, dependency);

  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  for (const start of jobs.keys()) {
    if (state.has(start)) continue;
    // Iterative depth-first search, so a 10,000-job chain does not overflow the stack.
    const stack: { job: string; next: number }[] = [{ job: start, next: 0 }];
    state.set(start, "visiting");
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const dependencies = jobs.get(top.job)!;
      if (top.next < dependencies.length) {
        const dependency = dependencies[top.next++]!;
        const seen = state.get(dependency);
        if (seen === "visiting") {
          const path = stack.map((frame) => frame.job);
          throw new DependencyCycleError([...path.slice(path.indexOf(dependency)), dependency]);
        }
        if (seen === undefined) {
          state.set(dependency, "visiting");
          stack.push({ job: dependency, next: 0 });
        }
      } else {
        state.set(top.job, "done");
        order.push(top.job);
        stack.pop();
      }
    }
  }
  return order;
}
