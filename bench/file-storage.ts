// File storage benchmark (`node --import tsx bench/file-storage.ts`; `--quick` for a 32 MiB smoke run).
//
// One FILE_MIB file through a real `labrun serve` process (bin/labrun.js, built dist/, SQLite, token auth):
// upload (PUT /api/runs/:id/files with X-Labrun-Sha256) and download (GET …/files/:fileId, read to the end),
// MiB/s, with the bytes kept
//   - in a local folder (`--files DIR`, the default backend),
//   - in S3 on moto's server mode (`--files s3://bench/files --s3-endpoint …`, .venv-moto from
//     scripts/ensure-moto-venv.mjs), downloads streamed through labrun,
//   - the same with `--files-presign 60`: the download follows the 302 to moto,
//   - and, as the ceiling, the AWS SDK alone against moto (Upload, GetObject), no labrun in between.
// moto is an in-memory Python server for tests, not a production object store: its figures bound what labrun's
// S3 path costs from above, they do not measure S3. Results: stdout and the "file-storage" section of
// bench/RESULTS.md (with --report).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { MotoServer, motoEnv, motoMissing } from "../test/server/moto-server.js";
import { writeResultsSection } from "./results-file.js";
import { stat } from "./stats.js";

const QUICK = process.argv.includes("--quick");
const FILE_MIB = QUICK ? 32 : 256;
const ROUNDS = QUICK ? 1 : 3;
const repo = fileURLToPath(new URL("..", import.meta.url));
const labrunBin = join(repo, "bin", "labrun.js");

if (motoMissing) {
  console.error(motoMissing);
  process.exit(2);
}

interface Served {
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

async function serve(dir: string, name: string, args: readonly string[]): Promise<Served> {
  const db = `sqlite:${join(dir, `${name}.db`)}`;
  const env = { ...process.env, ...motoEnv, LABRUN_HOME: dir, NO_COLOR: "1" };
  const created = spawnSync(
    process.execPath,
    [labrunBin, "token", "create", "--project", "bench", "--db", db, "--json"],
    {
      env,
      encoding: "utf8",
    },
  );
  if (created.status !== 0) throw new Error(`token create failed: ${created.stderr}`);
  const token = (JSON.parse(created.stdout) as { secret: string }).secret;
  const child: ChildProcess = spawn(
    process.execPath,
    [labrunBin, "serve", "--port", "0", "--db", db, ...args],
    {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`labrun serve exited (${code}):\n${output}`)));
  });
  return {
    url,
    token,
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

interface Figures {
  readonly upload: number[];
  readonly download: number[];
}

async function measure(served: Served, bytes: Buffer, sha256: string): Promise<Figures> {
  const headers = { authorization: `Bearer ${served.token}` };
  const created = await fetch(`${served.url}/api/runs`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ prefix: `me/bench/files-${Date.now()}` }),
  });
  const runId = ((await created.json()) as { run: { id: string } }).run.id;
  const figures: Figures = { upload: [], download: [] };
  const mib = bytes.length / 1024 / 1024;
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    const put = await fetch(`${served.url}/api/runs/${runId}/files?filename=big.bin`, {
      method: "PUT",
      headers: { ...headers, "x-labrun-sha256": sha256, "content-type": "application/octet-stream" },
      body: bytes,
    });
    if (put.status !== 200) throw new Error(`upload answered ${put.status}: ${await put.text()}`);
    const file = ((await put.json()) as { file: { id: string } }).file;
    figures.upload.push(mib / ((performance.now() - started) / 1000));
    started = performance.now();
    const got = await fetch(`${served.url}/api/runs/${runId}/files/${file.id}`, { headers });
    if (got.status !== 200) throw new Error(`download answered ${got.status}`);
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of got.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      hash.update(chunk);
    }
    figures.download.push(mib / ((performance.now() - started) / 1000));
    if (size !== bytes.length || hash.digest("hex") !== sha256) throw new Error("downloaded bytes differ");
  }
  return figures;
}

function report(name: string, figures: Figures): void {
  const up = stat(figures.upload);
  const down = stat(figures.download);
  console.log(
    `${name}: upload ${up.median.toFixed(0)} MiB/s (${up.min.toFixed(0)}-${up.max.toFixed(0)}), ` +
      `download ${down.median.toFixed(0)} MiB/s (${down.min.toFixed(0)}-${down.max.toFixed(0)})`,
  );
}

const dir = mkdtempSync(join(tmpdir(), "labrun-bench-files-"));
const moto = await MotoServer.start();
const results: [string, Figures][] = [];
try {
  const s3 = new S3Client({
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
  const bytes = randomBytes(FILE_MIB * 1024 * 1024);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  // The floor: the SDK alone against moto (same part size and queue as labrun), no labrun in between.
  const direct: Figures = { upload: [], download: [] };
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    const params = { Bucket: "bench", Key: "direct/big.bin", Body: bytes };
    await new Upload({ client: s3, params, partSize: 8 * 1024 * 1024, queueSize: 4 }).done();
    direct.upload.push(FILE_MIB / ((performance.now() - started) / 1000));
    started = performance.now();
    const got = await s3.send(new GetObjectCommand({ Bucket: "bench", Key: "direct/big.bin" }));
    let size = 0;
    for await (const chunk of got.Body as AsyncIterable<Uint8Array>) size += chunk.byteLength;
    if (size !== bytes.length) throw new Error("direct download differs");
    direct.download.push(FILE_MIB / ((performance.now() - started) / 1000));
  }
  s3.destroy();
  results.push(["moto alone (AWS SDK, no labrun)", direct]);
  const setups: [string, string[]][] = [
    ["local folder", ["--files", join(dir, "files")]],
    ["S3 (moto), proxied", ["--files", "s3://bench/proxied", "--s3-endpoint", moto.endpoint]],
    [
      "S3 (moto), presigned download",
      ["--files", "s3://bench/presigned", "--s3-endpoint", moto.endpoint, "--files-presign", "60"],
    ],
  ];
  for (const [name, figures] of results) report(name, figures);
  for (const [name, args] of setups) {
    const served = await serve(dir, name.replace(/\W+/g, "-"), args);
    try {
      const figures = await measure(served, bytes, sha256);
      results.push([name, figures]);
      report(name, figures);
    } finally {
      await served.stop();
    }
  }
} finally {
  await moto.stop();
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (values: number[]) => {
  const s = stat(values);
  return `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
};
const rows = results.map(([name, f]) => `| ${name} | ${fmt(f.upload)} | ${fmt(f.download)} |`).join("\n");
if (!QUICK)
  writeResultsSection(
    join(repo, "bench", "RESULTS.md"),
    "file-storage",
    `## File storage: a ${FILE_MIB} MiB file through \`labrun serve\`, local folder vs S3 (moto)

\`node --import tsx bench/file-storage.ts\`: one ${FILE_MIB} MiB file uploaded (PUT with its SHA-256) and
downloaded (read to the end, hashed) through a real \`labrun serve\` (SQLite, token auth), ${ROUNDS} rounds,
median (min–max) MiB/s. S3 is moto 5.2.6's server mode on the same machine (an in-memory Python test
server, not a production object store): its first row, the AWS SDK alone against moto, is the most the S3
rows can reach; the gap to them is a third process (labrun) sharing the 2 cores with moto and the client. ${cpus().length} cores, load
average ${loadavg()[0]!.toFixed(1)} at the end (other work shared the machine).

| storage | upload MiB/s | download MiB/s |
| ------- | -----------: | -------------: |
${rows}
`,
  );
