import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { endedStatus, readJobOutcome } from "./job-files.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labrun-job-files-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("readJobOutcome", () => {
  it("reads what the wrapper wrote", () => {
    writeFileSync(join(dir, "started"), "4242 1796644609.5\n");
    writeFileSync(join(dir, "ended_at"), "1796644610\n");
    writeFileSync(join(dir, "exit_code"), "3\n");
    expect(readJobOutcome(dir)).toEqual({
      pid: 4242,
      startedAt: new Date(1796644609500).toISOString(),
      exitCode: 3,
      endedAt: new Date(1796644610000).toISOString(),
    });
  });

  it("reads the local wrapper's records: the pid alone, the times from the files' modification times", () => {
    writeFileSync(join(dir, "started"), "4242\n");
    utimesSync(join(dir, "started"), 1796644609.25, 1796644609.25);
    expect(readJobOutcome(dir)).toEqual({ pid: 4242, startedAt: new Date(1796644609250).toISOString() });
    writeFileSync(join(dir, "exit_code"), "0\n");
    utimesSync(join(dir, "exit_code"), 1796644612.5, 1796644612.5);
    expect(readJobOutcome(dir)).toEqual({
      pid: 4242,
      startedAt: new Date(1796644609250).toISOString(),
      exitCode: 0,
      endedAt: new Date(1796644612500).toISOString(),
    });
    // An ended_at file, when there is one, is the end time.
    writeFileSync(join(dir, "ended_at"), "1796644611\n");
    expect(readJobOutcome(dir).endedAt).toBe(new Date(1796644611000).toISOString());
  });

  it("survives damaged files: unknown times are left out, a garbled exit code is a failure", () => {
    writeFileSync(join(dir, "started"), "\u0000\u00ff} garbage\n");
    writeFileSync(join(dir, "ended_at"), "1e400");
    writeFileSync(join(dir, "exit_code"), "\u00ff#{");
    const outcome = readJobOutcome(dir);
    expect(outcome).toEqual({ exitCode: -1 });
    expect(endedStatus(outcome)).toMatchObject({ state: "FAILED", exitCode: -1 });
    writeFileSync(join(dir, "exit_code"), "");
    expect(readJobOutcome(dir)).toEqual({}); // an empty one is a write in progress
  });
});
