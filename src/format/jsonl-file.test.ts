import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/tracking/helpers.js";
import { JsonlAppender, lastCompleteLine, scanJsonl } from "./jsonl-file.js";

const temp = tempDir("jsonl");
afterAll(() => temp.cleanup());

async function scan(file: string) {
  const records: Record<string, unknown>[] = [];
  const stats = await scanJsonl(file, (record) => records.push(record));
  return { records, ...stats };
}

describe("JSON Lines files", () => {
  it("never returns a torn last line, and says there was one", async () => {
    const file = join(temp.dir, "a.jsonl");
    writeFileSync(file, '{"index":0}\n{"index":1}\n{"ind');
    const result = await scan(file);
    expect(result.records).toEqual([{ index: 0 }, { index: 1 }]);
    expect(result).toMatchObject({ torn: true, skipped: 0, lines: 2 });
    expect(lastCompleteLine(file)).toBe('{"index":1}');
  });

  it("skips and counts complete lines that are not records", async () => {
    const file = join(temp.dir, "b.jsonl");
    writeFileSync(file, '{"index":0}\ngarbage\n[1,2]\n\n{"index":1}\n');
    expect(await scan(file)).toMatchObject({
      records: [{ index: 0 }, { index: 1 }],
      skipped: 3,
      torn: false,
    });
  });

  it("reads a missing file as empty", async () => {
    expect(await scan(join(temp.dir, "missing.jsonl"))).toMatchObject({ records: [], torn: false, lines: 0 });
    expect(lastCompleteLine(join(temp.dir, "missing.jsonl"))).toBeUndefined();
  });

  it("cuts a torn tail before appending, so the next line starts clean", () => {
    const file = join(temp.dir, "c.jsonl");
    writeFileSync(file, '{"index":0}\n{"index":1}\n{"index":2,"da');
    const appender = new JsonlAppender(file);
    expect(appender.open()).toBe('{"index":1}');
    appender.append('{"index":2}\n');
    appender.close();
    expect(readFileSync(file, "utf8")).toBe('{"index":0}\n{"index":1}\n{"index":2}\n');
  });

  it("finds the last line of a file longer than one read chunk", () => {
    const file = join(temp.dir, "d.jsonl");
    const long = `{"pad":"${"x".repeat(100_000)}"}`;
    writeFileSync(file, `${long}\n`);
    appendFileSync(file, `${long}\n{"index":7}\n`);
    expect(lastCompleteLine(file)).toBe('{"index":7}');
    writeFileSync(file, `${long}\n`);
    expect(lastCompleteLine(file)).toBe(long);
  });
});
