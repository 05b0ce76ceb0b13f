import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, serveProcess } from "../server/helpers.js";
import { mountTmpfs, tmpfsUnavailable } from "./server-tmpfs.js";

// `labrun serve` on a real full disk (a 3 MiB tmpfs): the files folder, then the SQLite database. Every write
// the disk refuses is a JSON 507 STORAGE_FULL, the server keeps serving, and what it acknowledged stays.
const skip = tmpfsUnavailable();

describe.skipIf(skip !== undefined)(`labrun serve on a full disk${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let dir: string;
  let cleanups: (() => unknown)[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "labrun-server-enospc-"));
    cleanups = [];
  });
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const serve = async (db: string, files: string) => {
    const server = await serveProcess(["--no-auth", "--db", `sqlite:${db}`, "--files", files], {
      LABRUN_HOME: dir,
    });
    cleanups.push(async () => {
      server.child.kill("SIGKILL");
      await server.exited;
    });
    return server;
  };
  const upload = (url: string, runId: string, name: string, body: Uint8Array | ReadableStream<Uint8Array>) =>
    fetch(`${url}/api/runs/${runId}/files?filename=${name}`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body,
      duplex: "half",
    } as RequestInit);
  const chunked = (bytes: number) => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= bytes) return controller.close();
        const chunk = randomBytes(64 * 1024);
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
  };

  it("files folder: an upload larger than the free space is a 507, leaves no .part, and the server goes on", async () => {
    const files = join(dir, "files");
    cleanups.push(mountTmpfs(files, 3));
    // Left by a crash: one old unfinished upload (swept at start), one being written (kept, grace period).
    const tmp = join(files, "tmp");
    mkdirp(tmp);
    writeFileSync(join(tmp, "crashed.part"), randomBytes(1000));
    utimesSync(join(tmp, "crashed.part"), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    writeFileSync(join(tmp, "live.part"), randomBytes(1000));
    const server = await serve(join(dir, "labrun.db"), files);
    expect(readdirSync(tmp).sort()).toEqual(["live.part"]);
    rmSync(join(tmp, "live.part"));

    const runId = (await api(server.url, "POST", "/api/runs", undefined, { prefix: "alice/disk/files" })).body
      .run.id;
    const small = randomBytes(100_000);
    expect((await upload(server.url, runId, "a.bin", small)).status).toBe(200);
    for (const [name, body] of [
      ["big.bin", randomBytes(5 * 1024 * 1024)],
      ["stream.bin", chunked(5 * 1024 * 1024)],
    ] as const) {
      const refused = await upload(server.url, runId, name, body);
      const answer = (await refused.json()) as { error: { code: string; message: string } };
      expect([refused.status, answer.error.code], name).toEqual([507, "STORAGE_FULL"]);
      expect(answer.error.message).toContain("free disk space");
      expect(readdirSync(tmp), name).toEqual([]);
    }
    expect((await api(server.url, "GET", "/api/health", undefined)).status).toBe(200);
    const listed = await api(server.url, "GET", `/api/runs/${runId}/files`, undefined);
    expect(listed.body.files.map((f: { filename: string }) => f.filename)).toEqual(["a.bin"]);
    const fileId = listed.body.files[0].id as string;
    const download = await fetch(`${server.url}/api/runs/${runId}/files/${fileId}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(small)).toBe(true);
    // The space of the refused uploads is back.
    expect((await upload(server.url, runId, "b.bin", randomBytes(100_000))).status).toBe(200);
  });

  it("SQLite database: batches past the free space are 507s; every acknowledged point stays, once, in order", async () => {
    const dbDir = join(dir, "db");
    cleanups.push(mountTmpfs(dbDir, 3));
    const filler = join(dbDir, "filler");
    writeFileSync(filler, randomBytes(1024 * 1024));
    const server = await serve(join(dbDir, "labrun.db"), join(dir, "files"));
    const runId = (await api(server.url, "POST", "/api/runs", undefined, { prefix: "alice/disk/db" })).body
      .run.id;
    const batch = (seq: number) => ({
      clientId: "enospc",
      seq,
      metrics: [
        {
          stream: "train",
          points: Array.from({ length: 500 }, (_, i) => ({
            fields: { step: (seq - 1) * 500 + i, note: randomBytes(96).toString("hex") },
            ts: Date.now() / 1000,
          })),
        },
      ],
      logs: [{ level: "info", message: `batch ${seq}`, timestamp: new Date().toISOString() }],
    });
    let acknowledged = 0;
    let refused: { status: number; body: any } | undefined;
    for (let seq = 1; seq <= 200 && !refused; seq++) {
      const sent = await api(server.url, "POST", `/api/runs/${runId}/batches`, undefined, batch(seq));
      if (sent.status === 200) acknowledged = seq;
      else refused = sent;
    }
    expect(refused, "the disk never filled").toBeDefined();
    expect([refused!.status, refused!.body.error.code]).toEqual([507, "STORAGE_FULL"]);
    expect(acknowledged).toBeGreaterThan(0);
    console.log(
      `SQLite on 3 MiB: ${acknowledged} batches (${acknowledged * 500} points) acknowledged, then 507`,
    );
    const another = await api(server.url, "POST", "/api/runs", undefined, { prefix: "alice/disk/other" });
    expect([507, 200]).toContain(another.status);
    // Still serving reads, with everything acknowledged.
    expect((await api(server.url, "GET", "/api/health", undefined)).status).toBe(200);
    const steps = async () => {
      const read = await api(
        server.url,
        "GET",
        `/api/runs/${runId}/metrics/train?maxPoints=100000`,
        undefined,
      );
      expect(read.status, JSON.stringify(read.body).slice(0, 500)).toBe(200);
      return (read.body.points as { fields: { step: number } }[]).map((p) => p.fields.step);
    };
    expect(await steps()).toEqual(Array.from({ length: acknowledged * 500 }, (_, i) => i));
    // Space comes back: the refused batch is sent again and stored once.
    rmSync(filler);
    const retried = await api(
      server.url,
      "POST",
      `/api/runs/${runId}/batches`,
      undefined,
      batch(acknowledged + 1),
    );
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(await steps()).toEqual(Array.from({ length: (acknowledged + 1) * 500 }, (_, i) => i));
    const logs = await api(server.url, "GET", `/api/runs/${runId}/logs?limit=1000`, undefined);
    expect(logs.body.logs.map((l: { message: string }) => l.message)).toEqual(
      Array.from({ length: acknowledged + 1 }, (_, i) => `batch ${i + 1}`),
    );
  });
});

function mkdirp(path: string): void {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
}
