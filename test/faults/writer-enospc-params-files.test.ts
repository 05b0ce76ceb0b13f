import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, tempWorkspace } from "../helpers.js";
import { runScript } from "../tracking/helpers.js";
import { runPython, SmallDisk, smallDiskUnavailable } from "./writer-disk.js";

// `params.set()` and `files().save()` on a full disk (a real 3 MiB tmpfs filled up once the run is open):
// nothing raised into the program; the writes wait, in order, and land once each when space comes back
// (parameters.json by one atomic replace); if space never comes back the run ends FAILED with the count.
const skip = smallDiskUnavailable();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const tsProgram = `
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
const { ROOT: root, FILLER: filler, SOURCE: source, FREE: free } = process.env;
const fill = () => {
  const fd = openSync(filler, "a");
  try { for (;;) writeSync(fd, Buffer.alloc(4096, 97)); } catch {} finally { closeSync(fd); }
};
const run = new labrun.Run({ prefix: "alice/disk/ts", root, flushIntervalMs: 20 });
run.params.set({ lr: 0.1, model: { depth: 50 } });
await run.files("models").save(Buffer.from("first"), { name: "first.txt" });
fill();
const thrown = [];
const attempt = async (work) => { try { await work(); } catch (error) { thrown.push(String(error)); } };
await attempt(() => run.params.set({ note: "n".repeat(64 * 1024) }));
await attempt(() => run.params.set({ lr: 0.2 }));
await attempt(() => run.files("models").save(Buffer.alloc(256 * 1024, 7), { name: "weights.bin" }));
await attempt(() => run.files("models").save(source));
const during = { write: run.writeStatus(), params: run.params.get() };
if (free === "1") rmSync(filler);
await run.complete();
console.log(JSON.stringify({ thrown, during: { write: during.write, lr: during.params.lr, note: typeof during.params.note }, write: run.writeStatus() }));
`;

const pyProgram = `
import json, os, sys
from labrun import Run
root, filler, source, free = sys.argv[1:5]
run = Run(prefix="alice/disk/py", root=root, flush_interval=0.02).start()
run.params.set(lr=0.1, model={"depth": 50})
run.files("models").save(b"first", name="first.txt")
fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)  # the disk is full from here on
try:
    while True:
        os.write(fd, b"a" * 4096)
except OSError:
    os.close(fd)
thrown = []
def attempt(work):
    try:
        work()
    except Exception as error:
        thrown.append(repr(error))
attempt(lambda: run.params.set(note="n" * 65536))
attempt(lambda: run.params.set(lr=0.2))
attempt(lambda: run.files("models").save(b"\\x07" * 262144, name="weights.bin"))
attempt(lambda: run.files("models").save(source))
params = run.params.get()
during = {"write": run.write_status(), "lr": params.get("lr"), "note": type(params.get("note")).__name__}
if free == "1":
    os.unlink(filler)
run.complete()
print(json.dumps({"thrown": thrown, "during": during, "write": run.write_status()}))
`;

interface Outcome {
  readonly thrown: string[];
  readonly during: { write: { state: string; pending: number; errors: number }; lr: number; note: string };
  readonly write: { state: string; pending: number; errors: number; lost: number };
}

/** Runs the program, fills the disk once the run is open, lets it go on; its report and the run's folder. */
async function runProgram(language: "ts" | "py", free: boolean) {
  const small = new SmallDisk(3);
  cleanups.push(() => small.cleanup());
  const scratch = tempWorkspace(`params-files-${language}`);
  cleanups.push(scratch.cleanup);
  const root = join(small.dir, "runs");
  const source = join(scratch.root, "checkpoint.pt");
  writeFileSync(source, Buffer.alloc(300 * 1024, 3));
  const filler = join(small.dir, "filler");
  let stdout: string;
  let stderr: string;
  let code: number | null;
  if (language === "ts") {
    const env = { ROOT: root, FILLER: filler, SOURCE: source, FREE: free ? "1" : "0" };
    const child = runScript(scratch.root, "params-files", tsProgram, env);
    code = (await child.exited).code;
    ({ stdout, stderr } = child.output());
  } else {
    ({ code, stdout, stderr } = await runPython(pyProgram, [root, filler, source, free ? "1" : "0"]));
  }
  expect(code, stderr).toBe(0);
  const out = JSON.parse(stdout.trim().split("\n").pop()!) as Outcome;
  const runDir = join(root, "alice", "disk", language);
  const json = (file: string) => JSON.parse(readFileSync(join(runDir, file), "utf8")) as Record<string, any>;
  const models = join(runDir, "files", "models");
  return {
    out,
    stderr,
    source,
    root,
    params: json("parameters.json"),
    record: json("experiment.json"),
    files: (json(join("files", ".files_metadata.json")).files as Record<string, any>[]).map(
      (f) => f.filename,
    ),
    folders: existsSync(models) ? readdirSync(models).length : 0,
    runDir,
    json,
  };
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe.skipIf(skip !== undefined)(
  `params and files on a full disk${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    for (const language of ["ts", "py"] as const) {
      const name = language === "ts" ? "TypeScript" : "Python";

      it(`${name}: nothing raised; once space is back the parameters land in one write, in order, and both files are stored; COMPLETED`, async () => {
        const run = await runProgram(language, true);
        expect(run.out.thrown).toEqual([]);
        expect(run.out.during.write.state).toBe("failing");
        expect(run.out.during.write.pending).toBe(4); // two params.set calls, two saves
        expect(run.out.during).toMatchObject({ lr: 0.2, note: language === "ts" ? "string" : "str" });
        expect(run.stderr).toContain("could not write parameters.json");
        expect(run.out.write).toMatchObject({ state: "ok", pending: 0, lost: 0 });
        // One replace for the two calls that waited, the later value kept.
        expect(run.params.version).toBe(2);
        expect(run.params.data).toMatchObject({ lr: 0.2, "model.depth": 50, note: "n".repeat(64 * 1024) });
        expect(run.files.sort()).toEqual(["checkpoint.pt", "first.txt", "weights.bin"]);
        expect(run.folders).toBe(3); // no partial copy left behind
        const metadata = run.json(join("files", ".files_metadata.json")).files as Record<string, any>[];
        const stored = metadata.find((f) => f.filename === "checkpoint.pt")!;
        expect(stored.checksum).toBe(sha256(readFileSync(run.source)));
        const weights = metadata.find((f) => f.filename === "weights.bin")!;
        const folder = join(run.runDir, "files", "models", weights.id);
        expect(sha256(readFileSync(join(folder, "weights.bin")))).toBe(sha256(Buffer.alloc(256 * 1024, 7)));
        expect(run.record).toMatchObject({ status: "COMPLETED", lostRecords: 0 });
        expect(run.record.writeErrors).toBeGreaterThan(0);
      }, 90_000);

      it(`${name}: a disk that stays full: the old parameters.json kept whole, no partial file, FAILED with the lost count`, async () => {
        const run = await runProgram(language, false);
        expect(run.out.thrown).toEqual([]);
        expect(run.out.write.lost).toBe(4);
        expect(run.params).toMatchObject({ version: 1, data: { lr: 0.1, "model.depth": 50 } });
        expect(run.files).toEqual(["first.txt"]);
        expect(run.folders).toBe(1);
        expect(run.record).toMatchObject({ status: "FAILED", lostRecords: 4 });
        expect(run.record.statusReason).toContain("lost 4 record(s)");
        const workspace = tempWorkspace("show-params-files");
        cleanups.push(workspace.cleanup);
        const shown = runCli(["runs", "show", `alice/disk/${language}`, "--root", run.root], {
          workspace: workspace.root,
        });
        expect(shown.stdout, shown.stderr).toContain("4 record(s) lost; last: ENOSPC");
      }, 90_000);
    }
  },
);
