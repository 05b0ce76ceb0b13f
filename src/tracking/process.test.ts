import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { runScript, tempDir } from "../../test/tracking/helpers.js";
import { Run } from "./run.js";

// Real processes: a writer killed, signalled or crashing, and what its run looks like afterwards.
const temp = tempDir("process");
afterAll(() => temp.cleanup());

const writerBody = (root: string, prefix: string, flushIntervalMs: number) => `
const run = new labrun.Run({ prefix: ${JSON.stringify(prefix)}, root: ${JSON.stringify(root)}, flushIntervalMs: ${flushIntervalMs} });
run.log("started");
for (let i = 0; ; i++) {
  run.metrics("train").log({ step: i, loss: 1 / (i + 1), note: "x".repeat(i % 50) });
  if (i % 10 === 0) console.log("logged " + i);
  await new Promise((resolve) => setTimeout(resolve, 2));
}
`;

async function loggedSoFar(child: { output(): { stdout: string } }): Promise<number> {
  const matches = [...child.output().stdout.matchAll(/logged (\d+)/g)];
  return Number(matches.at(-1)?.[1] ?? -1);
}

describe("a writer's process ends", () => {
  it("SIGKILL mid-stream: no torn line is visible, at most the last interval is lost, the run shows as died", async () => {
    const prefix = "alice/p/killed";
    const child = runScript(temp.dir, "killed", writerBody(temp.dir, prefix, 100));
    await child.waitFor("logged 300");
    const before = await loggedSoFar(child);
    child.kill("SIGKILL");
    await child.exited;
    const reader = Run.open(prefix, { root: temp.dir });
    const { points, skipped } = await reader.metrics("train").read();
    expect(skipped).toBe(0);
    expect(points.map((p) => p.index)).toEqual(points.map((_, i) => i));
    // Logged every ~2 ms and flushed every 100 ms: what was logged well before the kill is on disk.
    expect(points.length).toBeGreaterThan(before - 100);
    expect(reader.info()).toMatchObject({
      status: "FAILED",
      recordedStatus: "RUNNING",
      died: true,
      statusReason: "process died",
    });

    // A writer killed inside a write leaves a torn line: readers skip it, a resumed writer repairs it.
    const file = join(reader.dir, "metrics/train/data.jsonl");
    appendFileSync(file, '{"index":99999,"data":{"lo');
    expect(await reader.metrics("train").read()).toMatchObject({ torn: true, total: points.length });
    const resumed = new Run({ prefix, root: temp.dir });
    resumed.metrics("train").log({ step: -1 });
    await resumed.complete();
    const after = readFileSync(file, "utf8").trim().split("\n");
    expect(after).toHaveLength(points.length + 1);
    expect(JSON.parse(after.at(-1)!)).toMatchObject({ index: points.length, data: { step: -1 } });
    expect(reader.status).toBe("COMPLETED");
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s: the run is flushed and CANCELLED, then the process dies of it",
    async (signal) => {
      const prefix = `alice/p/${signal.toLowerCase()}`;
      // A long interval: only the signal handler can have written the points.
      const child = runScript(temp.dir, signal, writerBody(temp.dir, prefix, 60_000));
      await child.waitFor("logged 50");
      child.kill(signal);
      const exit = await child.exited;
      expect(exit.signal).toBe(signal);
      const reader = Run.open(prefix, { root: temp.dir });
      expect(reader.info()).toMatchObject({ status: "CANCELLED", statusReason: signal, died: false });
      const { points } = await reader.metrics("train").read();
      expect(points.length).toBeGreaterThanOrEqual(51);
      expect((await reader.logs.read()).records.map((r) => r.message)).toEqual(["started"]);
    },
  );

  it("an uncaught exception: FAILED with the error recorded", async () => {
    const prefix = "alice/p/crash";
    const child = runScript(
      temp.dir,
      "crash",
      `const run = new labrun.Run({ prefix: "${prefix}", root: ${JSON.stringify(temp.dir)}, flushIntervalMs: 60000 });
run.metrics("train").log({ loss: NaN });
setTimeout(() => { throw new RangeError("loss diverged"); }, 10);`,
    );
    expect((await child.exited).code).toBe(1);
    const reader = Run.open(prefix, { root: temp.dir });
    expect(reader.info()).toMatchObject({
      status: "FAILED",
      statusReason: "uncaught exception",
      error: { name: "RangeError", message: "loss diverged" },
    });
    expect((await reader.metrics("train").read()).points[0]!.data.loss).toBeNaN();
  });

  it("exit while a run is open: COMPLETED with code 0, FAILED with another code", async () => {
    const script = (prefix: string, end: string) =>
      `const run = new labrun.Run({ prefix: "${prefix}", root: ${JSON.stringify(temp.dir)}, flushIntervalMs: 60000 });
run.logs.info("last words");
${end}`;
    const clean = runScript(temp.dir, "clean", script("alice/p/clean", ""));
    const failing = runScript(temp.dir, "failing", script("alice/p/exit3", "process.exit(3);"));
    expect((await clean.exited).code).toBe(0);
    expect((await failing.exited).code).toBe(3);
    expect(Run.open("alice/p/clean", { root: temp.dir }).info()).toMatchObject({ status: "COMPLETED" });
    const failed = Run.open("alice/p/exit3", { root: temp.dir });
    expect(failed.info()).toMatchObject({ status: "FAILED", statusReason: "exit code 3" });
    expect((await failed.logs.read()).records.map((r) => r.message)).toEqual(["last words"]);
  });

  it("leaves the process alone when the program has its own SIGTERM handler", async () => {
    const prefix = "alice/p/handled";
    const child = runScript(
      temp.dir,
      "handled",
      `const run = new labrun.Run({ prefix: "${prefix}", root: ${JSON.stringify(temp.dir)} });
process.on("SIGTERM", () => {
  console.log("own handler");
  run.log("saving a checkpoint before exiting");
  setTimeout(() => process.exit(0), 50);
});
console.log("ready");
setInterval(() => run.metrics("m").log({ x: 1 }), 5);`,
    );
    await child.waitFor("ready");
    await sleep(50);
    child.kill("SIGTERM");
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.output().stdout).toContain("own handler");
    const reader = Run.open(prefix, { root: temp.dir });
    expect(reader.info()).toMatchObject({ status: "CANCELLED", statusReason: "SIGTERM" });
    expect((await reader.logs.read()).records.map((r) => r.message)).toEqual([
      "saving a checkpoint before exiting",
    ]);
  });
});
