import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers.js";
import { MotoServer, motoEnv, motoMissing } from "../server/moto-server.js";
import { api, serveProcess, testDatabase, type TestDatabase } from "../server/helpers.js";
import { fillStore } from "./fill-store.js";

const bucket = "labrun-copy";
const skip =
  motoMissing ?? (process.env.LABRUN_TEST_PG_URL ? undefined : "no PostgreSQL (LABRUN_TEST_PG_URL)");

describe.skipIf(skip)("labrun store copy --files-to s3://… (moto)", () => {
  let moto: MotoServer;
  let s3: S3Client;
  let dir: string;
  let target: TestDatabase;
  beforeAll(async () => {
    moto = await MotoServer.start();
    s3 = new S3Client({
      endpoint: moto.endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    dir = mkdtempSync(join(tmpdir(), "labrun-store-copy-s3-"));
    target = await testDatabase("postgres", dir);
  }, 60_000);
  afterAll(async () => {
    await target?.cleanup();
    s3?.destroy();
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("copies the files' bytes into a bucket (checked by SHA-256 read back), once; a server on it serves them", async () => {
    const source = `sqlite:${join(dir, "server", "labrun.db")}`;
    const filled = await fillStore(source, join(dir, "server", "files"), { runs: 6, points: 100, logs: 2 });
    const token = runCli(["token", "create", "--project", "*", "--db", source, "--json"], { workspace: dir });
    const secret = (JSON.parse(token.stdout) as { secret: string }).secret;
    const copy = () =>
      runCli(
        [
          ...["store", "copy", "--from", source, "--to", target.uri],
          ...["--files-to", `s3://${bucket}/team`, "--s3-endpoint", moto.endpoint, "--json"],
        ],
        { workspace: dir, env: motoEnv },
      );
    const first = copy();
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.blobsCopied).toBe(filled.files);
    expect(report.blobsVerified).toBe(filled.files);
    expect(report.comparison.differences).toEqual([]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "team/blobs/" }));
    expect(listed.Contents?.length).toBe(filled.files);

    const again = copy();
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ blobsCopied: 0, copy: { runsDone: 0 } });

    const server = await serveProcess(
      ["--db", target.uri, "--files", `s3://${bucket}/team`, "--s3-endpoint", moto.endpoint],
      { ...motoEnv, LABRUN_HOME: dir },
    );
    try {
      const runs = await api(server.url, "GET", "/api/runs?prefix=bulk&limit=100", secret);
      const run = (runs.body.runs as { id: string; prefix: string }[]).find((r) =>
        r.prefix.endsWith("run00000"),
      )!;
      const files = await api(server.url, "GET", `/api/runs/${run.id}/files`, secret);
      const [file] = files.body.files as { id: string; size: number }[];
      const bytes = await fetch(`${server.url}/api/runs/${run.id}/files/${file!.id}`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(bytes.status).toBe(200);
      const text = Buffer.from(await bytes.arrayBuffer()).toString();
      expect(text.length).toBe(file!.size);
      expect(text.startsWith("weights of run 0 ")).toBe(true);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });
});
