import { request } from "node:http";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JobFilesService } from "../../src/index.js";
import type { JobFilesSource } from "../../src/index.js";
import { tempWorkspace } from "../helpers.js";

let scratch: ReturnType<typeof tempWorkspace>;
let service: JobFilesService;
let base: string;

/** A GET (or other method) sent as written: no client-side normalisation of `..`. */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

beforeEach(async () => {
  scratch = tempWorkspace("job-files");
  const train = join(scratch.root, "jobs", "train", "abc");
  mkdirSync(join(train, "out", "sub dir"), { recursive: true });
  writeFileSync(join(train, "stdout.log"), "epoch 1 loss=0.5\n<script>alert(1)</script>\n");
  writeFileSync(join(train, "out", "weights.bin"), Buffer.from([0, 1, 2, 3, 255]));
  writeFileSync(join(train, "out", "sub dir", "résumé.txt"), "x".repeat(5000));
  writeFileSync(join(train, "page.html"), "<h1>not run</h1>");
  writeFileSync(join(scratch.root, "secret.txt"), "TOP-SECRET");
  symlinkSync(join(scratch.root, "secret.txt"), join(train, "link-out"));
  symlinkSync(join(train, "stdout.log"), join(train, "link-in"));
  const source: JobFilesSource = {
    id: "exp_20260101-000000",
    jobs: [
      { index: 0, name: "train lr=0.1", state: "COMPLETED", directory: train },
      { index: 1, name: "eval", state: "PENDING", directory: "" },
    ],
  };
  service = new JobFilesService(source, { previewBytes: 1000 });
  await service.start();
  base = service.url!;
});

afterEach(async () => {
  await service.stop();
  scratch.cleanup();
});

describe("JobFilesService over HTTP", () => {
  it("listens on 127.0.0.1, a free port, and stops listening when stopped", async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(service.state).toBe("RUNNING");
    expect(service.description()).toBe("Files of the jobs of exp_20260101-000000");
    await service.stop();
    expect(service.url).toBeUndefined();
    await expect(fetch(base)).rejects.toThrow();
  });

  it("lists the jobs, linking those launched", async () => {
    const page = await fetch(base);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<a href="/jobs/train%20lr%3D0.1/">train lr=0.1</a>');
    expect(html).toContain("<td>eval</td>");
    const json = (await (await fetch(`${base}?format=json`)).json()) as {
      jobs: { name: string; href?: string }[];
    };
    expect(json.jobs).toEqual([
      { index: 0, name: "train lr=0.1", state: "COMPLETED", href: "/jobs/train%20lr%3D0.1/" },
      { index: 1, name: "eval", state: "PENDING" },
    ]);
  });

  it("lists a job's directory (directories first) as HTML and JSON, redirecting to the trailing slash", async () => {
    const redirected = await fetch(`${base}jobs/train%20lr%3D0.1/out`, { redirect: "manual" });
    expect(redirected.status).toBe(301);
    expect(redirected.headers.get("location")).toBe("/jobs/train%20lr%3D0.1/out/");
    const listing = await fetch(`${base}jobs/train%20lr%3D0.1/out/`, {
      headers: { accept: "application/json" },
    });
    const json = (await listing.json()) as {
      entries: { name: string; type: string; size: number; href: string }[];
    };
    expect(json.entries.map((e) => [e.name, e.type, e.href])).toEqual([
      ["sub dir", "directory", "/jobs/train%20lr%3D0.1/out/sub%20dir/"],
      ["weights.bin", "file", "/jobs/train%20lr%3D0.1/out/weights.bin"],
    ]);
    const html = await (await fetch(`${base}jobs/train%20lr%3D0.1/`)).text();
    expect(html).toContain('href="/jobs/train%20lr%3D0.1/stdout.log"');
    expect(html).toContain('href="/jobs/train%20lr%3D0.1/out/"');
  });

  it("previews text files escaped, truncated to previewBytes, with raw and download links", async () => {
    const preview = await fetch(`${base}jobs/train%20lr%3D0.1/stdout.log`);
    expect(preview.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(preview.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await preview.text();
    expect(html).toContain("epoch 1 loss=0.5\n&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain('href="/jobs/train%20lr%3D0.1/stdout.log?download"');
    const long = await (
      await fetch(`${base}jobs/train%20lr%3D0.1/out/sub%20dir/r%C3%A9sum%C3%A9.txt`)
    ).text();
    expect(long).toContain("only the beginning is shown");
    expect(long).toContain(`${"x".repeat(1000)}</pre>`);
    expect(long).not.toContain("x".repeat(1001));
  });

  it("serves raw files and downloads whole, byte for byte", async () => {
    const rawText = await fetch(`${base}jobs/train%20lr%3D0.1/out/sub%20dir/r%C3%A9sum%C3%A9.txt?raw`);
    expect(rawText.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await rawText.text()).toBe("x".repeat(5000));
    const binary = await fetch(`${base}jobs/train%20lr%3D0.1/out/weights.bin`);
    expect(binary.headers.get("content-type")).toBe("application/octet-stream");
    expect([...new Uint8Array(await binary.arrayBuffer())]).toEqual([0, 1, 2, 3, 255]);
    const download = await fetch(`${base}jobs/train%20lr%3D0.1/out/sub%20dir/r%C3%A9sum%C3%A9.txt?download`);
    expect(download.headers.get("content-disposition")).toBe(
      "attachment; filename=\"r_sum_.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt",
    );
    expect((await download.text()).length).toBe(5000);
    // An HTML file of a job is shown as text, never run in the browser's page.
    const html = await fetch(`${base}jobs/train%20lr%3D0.1/page.html?raw`);
    expect(html.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(html.headers.get("content-security-policy")).toBe("sandbox");
    const head = await raw("/jobs/train%20lr%3D0.1/out/weights.bin", { method: "HEAD" });
    expect([head.status, head.headers["content-length"], head.body.length]).toEqual([200, "5", 0]);
  });

  it("refuses paths that leave the job's directory, however they are written", async () => {
    for (const path of [
      "/jobs/train%20lr%3D0.1/../../../secret.txt",
      "/jobs/train%20lr%3D0.1/%2e%2e/%2e%2e/%2e%2e/secret.txt",
      "/jobs/train%20lr%3D0.1/..%2f..%2f..%2fsecret.txt",
      "/jobs/train%20lr%3D0.1/out/..%5c..%5csecret.txt",
      "/jobs/..%2f..%2fsecret.txt",
      "/jobs/train%20lr%3D0.1/./stdout.log",
      "/jobs/train%20lr%3D0.1/link-out",
    ]) {
      const response = await raw(path);
      expect(response.status, path).toBe(403);
      expect(response.body.toString(), path).not.toContain("TOP-SECRET");
      expect(response.body.toString(), path).toContain("Path traversal refused");
    }
    // A link that stays inside the job's directory is followed.
    expect((await raw("/jobs/train%20lr%3D0.1/link-in?raw")).body.toString()).toContain("epoch 1");
  });

  it("answers unknown jobs and files, jobs not launched, bad paths and other methods with clear errors", async () => {
    const cases: [string, number, RegExp][] = [
      ["/jobs/nope/", 404, /No job named &quot;nope&quot;/],
      ["/jobs/eval/", 404, /not launched yet/],
      ["/jobs/train%20lr%3D0.1/missing.txt", 404, /No file missing.txt/],
      ["/jobs/train%20lr%3D0.1/%E0%A4%A", 400, /not a valid URL path/],
      ["/elsewhere", 404, /No page \/elsewhere/],
    ];
    for (const [path, status, message] of cases) {
      const response = await raw(path);
      expect(response.status, path).toBe(status);
      expect(response.body.toString(), path).toMatch(message);
    }
    const post = await raw("/", { method: "POST" });
    expect([post.status, post.headers.allow]).toEqual([405, "GET, HEAD"]);
    const json = await raw("/jobs/nope/?format=json");
    expect(JSON.parse(json.body.toString())).toEqual({
      error: 'No job named "nope" in exp_20260101-000000.',
    });
  });

  it("answers only to its own host names (DNS rebinding), and to those added by allowedHosts", async () => {
    const port = new URL(base).port;
    const foreign = await raw("/?format=json", { headers: { host: `attacker.example:${port}` } });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body.toString())).toMatchObject({ code: "HOST_NOT_ALLOWED" });
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "LOCALHOST"])
      expect((await raw("/", { headers: { host } })).status, host).toBe(200);
    await service.stop();
    service = new JobFilesService({ id: "exp", jobs: [] }, { allowedHosts: ["files.lab.example"] });
    await service.start();
    base = service.url!;
    expect((await raw("/", { headers: { host: "files.lab.example" } })).status).toBe(200);
    expect((await raw("/", { headers: { host: "other.lab.example" } })).status).toBe(403);
  });
});
