import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listBuffered, rejectBuffered, runBufferDir } from "./run-buffer.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function envelope(prefix: string, clientId: string, order: number, createdAt: string, seq = order) {
  return JSON.stringify({
    labrunBuffer: 1,
    kind: "batch",
    url: "http://x",
    prefix,
    upsert: { prefix },
    clientId,
    order,
    createdAt,
    seq,
    batch: { clientId, seq },
  });
}

describe("the on-disk buffer", () => {
  it("lists a run's items client by client (oldest client first) in their order, skipping rejected/ and other files", () => {
    const root = mkdtempSync(join(tmpdir(), "labrun-buffer-"));
    dirs.push(root);
    const dir = runBufferDir(root, "a/b/c");
    mkdirSync(join(dir, "rejected"), { recursive: true });
    writeFileSync(join(dir, "new-1.json"), envelope("a/b/c", "new", 1, "2026-01-02T00:00:00Z"));
    writeFileSync(join(dir, "old-10.json"), envelope("a/b/c", "old", 10, "2026-01-01T00:00:05Z"));
    writeFileSync(join(dir, "old-2.json"), envelope("a/b/c", "old", 2, "2026-01-01T00:00:01Z"));
    writeFileSync(join(dir, "remote-status.json"), JSON.stringify({ state: "closed" }));
    writeFileSync(join(dir, "broken-1.json"), "{not json");
    writeFileSync(join(dir, "rejected", "old-1.json"), envelope("a/b/c", "old", 1, "2026-01-01T00:00:00Z"));
    const found = listBuffered(root).map(({ item }) => `${item.clientId}-${item.order}`);
    expect(found).toEqual(["old-2", "old-10", "new-1"]);
    expect(listBuffered(root, "a/b/other")).toEqual([]);
  });

  it("moves a refused item to rejected/ with the server's answer", () => {
    const root = mkdtempSync(join(tmpdir(), "labrun-buffer-"));
    dirs.push(root);
    const dir = runBufferDir(root, "a/b");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "c-1.json");
    writeFileSync(file, envelope("a/b", "c", 1, "2026-01-01T00:00:00Z"));
    rejectBuffered(file, Object.assign(new Error("no"), { code: "FORBIDDEN" }));
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(dir, "rejected", "c-1.json"))).toBe(true);
    expect(existsSync(join(dir, "rejected", "c-1.error.json"))).toBe(true);
    expect(listBuffered(root)).toEqual([]);
  });
});
