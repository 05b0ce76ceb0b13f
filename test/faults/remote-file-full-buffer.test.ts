import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HttpStore } from "../../src/store/http/http-store.js";
import { tempWorkspace } from "../helpers.js";
import { freePort, ServerProcess } from "../remote/server-process.js";
import { runScript } from "../tracking/helpers.js";
import { runPython, SmallDisk, smallDiskUnavailable } from "./writer-disk.js";

// Remote-only mode, the buffer's disk full (a real 3 MiB tmpfs, filled) while the server is up: a stored file
// cannot be staged in the buffer, so its bytes are held in memory and uploaded from there. The save never
// throws into the program, the file arrives whole (same SHA-256), and the run ends COMPLETED on the server.
const skip = smallDiskUnavailable();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const tsProgram = `
const run = new labrun.Run({ prefix: "alice/files/ts", remote: { batchIntervalMs: 10, closeTimeoutMs: 20000 } });
let thrown = [];
for (const [name, source] of [["model.bin", process.env.MODEL], ["inline.bin", new Uint8Array(300000).fill(7)]]) {
  try { await run.files("models").save(source, { name }); } catch (error) { thrown.push(String(error)); }
}
run.metrics("train").log({ step: 1, loss: 0.5 });
await run.complete();
console.log(JSON.stringify({ thrown, status: run.remoteStatus() }));
`;

const pyProgram = `
import json, os
from labrun import Run
run = Run(prefix="alice/files/py", flush_interval=0.01, remote={"close_timeout": 20}).start()
thrown = []
for name, source in (("model.bin", os.environ["MODEL"]), ("inline.bin", bytes([7]) * 300000)):
    try:
        run.files("models").save(source, name=name)
    except Exception as error:
        thrown.append(repr(error))
run.metrics("train").log(step=1, loss=0.5)
run.complete()
print(json.dumps({"thrown": thrown, "status": run.remote_status()}))
`;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe.skipIf(skip !== undefined)(
  `remote-only files with a full buffer disk${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    for (const language of ["ts", "py"] as const) {
      it(`${language === "ts" ? "TypeScript" : "Python"}: files().save neither throws nor loses the file; the server has both, whole, and the run is COMPLETED`, async () => {
        const small = new SmallDisk(3);
        cleanups.push(() => small.cleanup());
        const scratch = tempWorkspace(`remote-file-full-${language}`);
        cleanups.push(scratch.cleanup);
        const model = new Uint8Array(500_000).map((_, i) => (i * 31) % 251);
        const modelPath = join(scratch.root, "model.bin");
        writeFileSync(modelPath, model);
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const server = new ServerProcess(join(scratch.root, "server"), port);
        await server.start();
        cleanups.push(() => server.stop());
        small.fill(0);
        const env = { LABRUN_URL: url, LABRUN_HOME: small.dir, LABRUN_TOKEN: "", MODEL: modelPath };
        const { code, stdout, stderr } =
          language === "ts"
            ? await (async () => {
                const child = runScript(scratch.root, "files", tsProgram, env);
                const { code } = await child.exited;
                return { code, ...child.output() };
              })()
            : await runPython(pyProgram, [], 120_000, env);
        expect(code, stderr).toBe(0);
        const out = JSON.parse(stdout.trim().split("\n").pop()!) as {
          thrown: string[];
          status: { lost: number; pending: number; uploadedFiles: number };
        };
        expect(out.thrown).toEqual([]);
        expect(out.status.lost).toBe(0);
        expect(out.status.pending).toBe(0);
        expect(out.status.uploadedFiles).toBe(2);
        const store = new HttpStore({ url });
        const run = await store.getRunByPrefix(`alice/files/${language}`);
        expect(run?.status).toBe("COMPLETED");
        const files = await store.listFiles(run!.id);
        const byName = new Map(files.map((file) => [file.filename, file]));
        expect(byName.get("model.bin")?.sha256).toBe(sha256(model));
        expect(byName.get("inline.bin")?.sha256).toBe(sha256(new Uint8Array(300_000).fill(7)));
      }, 120_000);
    }
  },
);
