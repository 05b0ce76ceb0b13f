import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Run } from "../../src/tracking/run.js";
import { runCli } from "../helpers.js";
import { runPython } from "../faults/writer-disk.js";
import { api, serveProcess } from "./helpers.js";
import { MotoServer, motoEnv, motoMissing } from "./moto-server.js";

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const bucket = "labrun-e2e";

// Python's remote mode: upload a generated file and bytes, then download each through the server's API
// (urllib follows a 302 to the presigned URL), printing what it saw as one JSON line.
const pythonScript = `
import hashlib, json, os, sys
import labrun
from labrun._remote_http import HttpClient
url, token, work = sys.argv[1], sys.argv[2], sys.argv[3]
data = os.urandom(7 * 1024 * 1024 + 3)
path = os.path.join(work, "weights.bin")
with open(path, "wb") as f:
    f.write(data)
with labrun.Run(prefix="alice/vision/py", dash_url=url, token=token,
                remote={"buffer_dir": os.path.join(work, "py-buffer"), "quiet": True}) as run:
    run.files("models").save(path)
    run.files().save_text("hello", "notes.txt")
client = HttpClient(url, token)
run_id = client.request("GET", "/api/runs/by-prefix", query={"prefix": "alice/vision/py"})["run"]["id"]
files = client.request("GET", f"/api/runs/{run_id}/files")["files"]
out = {"sent": hashlib.sha256(data).hexdigest(), "files": {}}
for f in files:
    got = client.request("GET", f"/api/runs/{run_id}/files/{f['id']}")
    out["files"][f["filename"]] = {"size": len(got), "sha256": hashlib.sha256(got).hexdigest(), "listed": f["sha256"]}
print(json.dumps(out))
`;

describe.skipIf(motoMissing)("labrun serve --files s3://… (moto)", () => {
  let moto: MotoServer;
  let dir: string;
  let s3: S3Client;
  const stops: (() => Promise<unknown>)[] = [];
  const env = { ...motoEnv };

  const createBucket = () =>
    s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: Error) => {
      if (error.name !== "BucketAlreadyOwnedByYou") throw error;
    });
  const objects = async (prefix: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).length;

  beforeAll(async () => {
    moto = await MotoServer.start();
    s3 = new S3Client({
      endpoint: moto.endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    await createBucket();
    dir = mkdtempSync(join(tmpdir(), "labrun-serve-s3-"));
  }, 60_000);
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    s3?.destroy();
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A server with its own SQLite database, files under `s3://labrun-e2e/<name>`; returns it and its tokens. */
  const serve = async (name: string, ...args: string[]) => {
    const db = `sqlite:${join(dir, `${name}.db`)}`;
    const create = (project: string) => {
      const result = runCli(["token", "create", "--project", project, "--db", db, "--json"], {
        workspace: dir,
      });
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(result.stdout) as { secret: string }).secret;
    };
    const token = create("vision");
    const adminToken = create("*"); // the dashboard's API reads every project
    const server = await serveProcess(
      ["--db", db, "--files", `s3://${bucket}/${name}`, "--s3-endpoint", moto.endpoint, ...args],
      { ...env, LABRUN_HOME: dir },
    );
    stops.push(async () => {
      server.child.kill("SIGKILL");
      await server.exited;
    });
    return { ...server, token, adminToken };
  };

  it("takes uploads from the TypeScript and Python clients and serves downloads by presigned URL", async () => {
    const server = await serve("presigned", "--files-presign", "60");
    expect(server.output()).toContain(`files s3://${bucket}/presigned/ at ${moto.endpoint}`);
    const big = randomBytes(20 * 1024 * 1024 + 17); // 3 parts of 8 MiB
    const source = join(dir, "big.bin");
    writeFileSync(source, big);
    const back = join(dir, "big.back");
    {
      await using run = new Run({
        prefix: "alice/vision/ts",
        url: server.url,
        token: server.token,
        remote: { bufferDir: join(dir, "ts-buffer"), batchIntervalMs: 50, retryDelayMs: 50 },
      });
      await run.files("models").save(source);
      await run.files().save(Buffer.from("{}"), { name: "config.json" });
      // The SDK's download follows the 302 to the object store (and does not take the token there).
      expect(await run.files("models").download("big.bin", { to: back })).toBe(back);
    }
    expect(sha(readFileSync(back))).toBe(sha(big));

    const run = (await api(server.url, "GET", "/api/runs/by-prefix?prefix=alice/vision/ts", server.token))
      .body.run as { id: string };
    const listed = (await api(server.url, "GET", `/api/runs/${run.id}/files`, server.token)).body.files as {
      id: string;
      filename: string;
      sha256: string;
      size: number;
    }[];
    expect(listed.map((f) => f.filename).sort()).toEqual(["big.bin", "config.json"]);
    const file = listed.find((f) => f.filename === "big.bin")!;
    expect(file).toMatchObject({ size: big.length, sha256: sha(big) });
    const answer = await fetch(`${server.url}/api/runs/${run.id}/files/${file.id}`, {
      headers: { authorization: `Bearer ${server.token}` },
      redirect: "manual",
    });
    expect(answer.status).toBe(302);
    const location = answer.headers.get("location")!;
    expect(location.startsWith(`${moto.endpoint}/${bucket}/presigned/`)).toBe(true);
    expect(location).toMatch(/X-Amz-Signature=/);
    expect(answer.headers.get("etag")).toBe(`"${sha(big)}"`);
    const direct = await fetch(location);
    expect(direct.headers.get("content-disposition")).toMatch(/attachment; filename="big.bin"/);
    expect(sha(Buffer.from(await direct.arrayBuffer()))).toBe(sha(big));

    // The dashboard streams the bytes itself (its download is a same-origin link), presigning or not.
    const dashboard = await fetch(`${server.url}/api/dashboard/runs/${run.id}/files/${file.id}?download=1`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
      redirect: "manual",
    });
    expect(dashboard.status).toBe(200);
    expect(sha(Buffer.from(await dashboard.arrayBuffer()))).toBe(sha(big));

    const python = await runPython(pythonScript, [server.url, server.token, dir]);
    expect(python.code, python.stderr).toBe(0);
    const seen = JSON.parse(python.stdout.trim().split("\n").pop()!) as {
      sent: string;
      files: Record<string, { size: number; sha256: string; listed: string }>;
    };
    expect(seen.files["weights.bin"]).toEqual({
      size: 7 * 1024 * 1024 + 3,
      sha256: seen.sent,
      listed: seen.sent,
    });
    expect(seen.files["notes.txt"]).toEqual({
      size: 5,
      sha256: sha(Buffer.from("hello")),
      listed: sha(Buffer.from("hello")),
    });
    // Four files, four objects: nothing else (no parts, no temporary copies) under the prefix.
    expect(await objects("presigned/")).toBe(4);
  }, 120_000);

  it("streams downloads through the server without --files-presign", async () => {
    const server = await serve("proxied");
    const created = await api(server.url, "POST", "/api/runs", server.token, { prefix: "alice/vision/p" });
    const id = created.body.run.id as string;
    const bytes = randomBytes(300_000);
    const put = await fetch(`${server.url}/api/runs/${id}/files?prefix=out&filename=a.bin`, {
      method: "PUT",
      headers: { authorization: `Bearer ${server.token}`, "x-labrun-sha256": sha(bytes) },
      body: bytes,
    });
    expect(put.status, await put.clone().text()).toBe(200);
    const file = ((await put.json()) as { file: { id: string } }).file;
    const answer = await fetch(`${server.url}/api/runs/${id}/files/${file.id}`, {
      headers: { authorization: `Bearer ${server.token}` },
      redirect: "manual",
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-length")).toBe(String(bytes.length));
    expect(sha(Buffer.from(await answer.arrayBuffer()))).toBe(sha(bytes));
  }, 60_000);

  it("refuses to start on a missing bucket or an unreachable endpoint, with what to do and no stack", () => {
    const db = `sqlite:${join(dir, "refused.db")}`;
    const start = (...args: string[]) =>
      runCli(["serve", "--port", "0", "--db", db, ...args], { workspace: dir, env });
    const missing = start("--files", "s3://no-such-bucket/x", "--s3-endpoint", moto.endpoint);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/bucket does not exist.*Create it first/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const down = start("--files", `s3://${bucket}/x`, "--s3-endpoint", "http://127.0.0.1:9");
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/cannot be reached \(ECONNREFUSED/);
    expect(down.stderr).not.toMatch(/\n\s+at /);
    const local = start("--files", join(dir, "folder"), "--s3-endpoint", moto.endpoint);
    expect(local.code).not.toBe(0);
    expect(local.stderr).toMatch(/only apply to an object store/);
    const long = start(
      "--files",
      `s3://${bucket}/x`,
      "--s3-endpoint",
      moto.endpoint,
      "--files-presign",
      "700000",
    );
    expect(long.code).not.toBe(0);
    expect(long.stderr).toMatch(/at most 604800 seconds/);
    const style = start("--files", `s3://${bucket}/x`, "--s3-addressing", "sideways");
    expect(style.stderr).toMatch(/--s3-addressing takes path or virtual/);
  }, 60_000);

  // Last: restarting moto loses what it held.
  it("answers 503 FILE_STORAGE_UNAVAILABLE while S3 is down, lists nothing half-written, recovers alone", async () => {
    const server = await serve("outage");
    const id = (await api(server.url, "POST", "/api/runs", server.token, { prefix: "alice/vision/o" })).body
      .run.id as string;
    const upload = (name: string, bytes: Uint8Array) =>
      fetch(`${server.url}/api/runs/${id}/files?filename=${name}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${server.token}` },
        body: bytes,
      });
    const first = await upload("before.bin", randomBytes(1000));
    expect(first.status).toBe(200);
    const before = ((await first.json()) as { file: { id: string } }).file;

    await moto.stop();
    const refused = await upload("during.bin", randomBytes(9 * 1024 * 1024));
    expect(refused.status).toBe(503);
    const error = ((await refused.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("FILE_STORAGE_UNAVAILABLE");
    expect(error.message).toMatch(/nothing of this request was kept/);
    const download = await fetch(`${server.url}/api/runs/${id}/files/${before.id}`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(download.status).toBe(503);
    expect(((await download.json()) as { error: { code: string } }).error.code).toBe(
      "FILE_STORAGE_UNAVAILABLE",
    );
    const listed = (await api(server.url, "GET", `/api/runs/${id}/files`, server.token)).body.files as {
      filename: string;
    }[];
    expect(listed.map((f) => f.filename)).toEqual(["before.bin"]);

    // The object store comes back (moto starts empty: the bucket is made again); no restart of labrun.
    await moto.start();
    await createBucket();
    const bytes = randomBytes(12 * 1024 * 1024);
    const after = await upload("after.bin", bytes);
    expect(after.status, await after.clone().text()).toBe(200);
    const file = ((await after.json()) as { file: { id: string; sha256: string } }).file;
    expect(file.sha256).toBe(sha(bytes));
    const again = await fetch(`${server.url}/api/runs/${id}/files/${file.id}`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(again.status).toBe(200);
    expect(sha(Buffer.from(await again.arrayBuffer()))).toBe(sha(bytes));
  }, 120_000);
});
