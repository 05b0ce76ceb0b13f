import { Run, type RunInit } from "./run.js";

/**
 * Runs `fn` inside a run: COMPLETED when it returns, FAILED (with the error recorded) when it throws, and
 * the error is thrown on. The TypeScript form of ML-Dash's decorator; unlike `await using`, it sees the
 * exception.
 *
 * @example
 * const accuracy = await tracked({ prefix: "alice/vision/resnet" }, async (run) => {
 *   run.params.set({ lr: 1e-3 });
 *   return train(run);
 * });
 */
export async function tracked<T>(options: RunInit | Run, fn: (run: Run) => T | Promise<T>): Promise<T> {
  const run = options instanceof Run ? options : new Run(options);
  let result: T;
  try {
    result = await fn(run);
  } catch (error) {
    await run.fail(error);
    throw error;
  }
  await run.complete();
  return result;
}
