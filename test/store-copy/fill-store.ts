import { createHash, randomUUID } from "node:crypto";
import { openServerStore } from "../../src/store/open-store.js";
import { LocalFileStorage } from "../../src/server/files/local-file-storage.js";

/** What `fillStore` wrote. */
export interface FilledStore {
  readonly runs: number;
  readonly points: number;
  readonly logs: number;
  readonly files: number;
}

/**
 * Fills a server database through the Store API (the same code `labrun serve` writes with): `runs` runs of
 * `points` points in two streams, `logs` logs, and one file each second run (bytes in `filesDir`).
 */
export async function fillStore(
  uri: string,
  filesDir: string,
  shape: { runs: number; points: number; logs: number },
): Promise<FilledStore> {
  const store = await openServerStore(uri);
  const files = new LocalFileStorage(filesDir);
  let fileCount = 0;
  try {
    for (let r = 0; r < shape.runs; r++) {
      const run = await store.upsertRun({
        prefix: `bulk/proj${r % 3}/sweep/run${String(r).padStart(5, "0")}`,
      });
      const half = Math.floor(shape.points / 2);
      const stream = (name: string, n: number) => ({
        stream: name,
        points: Array.from({ length: n }, (_, i) => ({
          fields: { step: i, loss: 1 / (i + 1), run: r },
          ts: 1.7e9 + i,
        })),
      });
      await store.applyBatch(run.id, {
        clientId: "fill",
        seq: 1,
        params: { lr: 0.001 * (r + 1), model: { depth: r % 7 } },
        tags: [`t${r % 4}`],
        metrics: [stream("train", half), stream("eval", shape.points - half)],
        logs: Array.from({ length: shape.logs }, (_, i) => ({
          level: i % 5 === 0 ? ("warn" as const) : ("info" as const),
          message: `line ${i} of run ${r}`,
          timestamp: new Date(1.7e12 + i * 1000).toISOString(),
        })),
        ...(r % 5 === 4 ? { status: { status: "COMPLETED" as const } } : {}),
      });
      if (r % 2 === 0) {
        const bytes = Buffer.from(`weights of run ${r} ${randomUUID()}`.repeat(50));
        const key = files.newKey();
        const stored = await files.put(key, new Blob([bytes]).stream(), { limitBytes: 1e9 });
        await store.addFile(run.id, {
          prefix: "models",
          filename: "model.pt",
          size: stored.size,
          sha256: createHash("sha256").update(bytes).digest("hex"),
          storageKey: key,
        });
        fileCount++;
      }
    }
  } finally {
    await store.close();
  }
  return {
    runs: shape.runs,
    points: shape.runs * shape.points,
    logs: shape.runs * shape.logs,
    files: fileCount,
  };
}
