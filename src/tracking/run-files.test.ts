import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/tracking/helpers.js";
import { ChecksumMismatchError, TrackedFileNotFoundError, TrackingValueError } from "../errors.js";
import { Run } from "./run.js";
import { tracked } from "./tracked.js";

const temp = tempDir("files");
afterAll(() => temp.cleanup());

describe("files", () => {
  it("stores files at files/<folder>/<id>/<name> with ML-Dash's metadata, lists and downloads them", async () => {
    const source = join(temp.dir, "model.pt");
    writeFileSync(source, "weights");
    let stored = "";
    await tracked({ prefix: "alice/p/files", root: temp.dir }, async (run) => {
      stored = await run.files("models").save(source);
      await run
        .files("models/best")
        .save(Buffer.from("best"), { name: "best.pt", description: "top", tags: ["t"] });
      await run.files().save(new TextEncoder().encode("{}"), { name: "config.json" });
      expect(run.files("models").exists("model.pt")).toBe(true);
      expect(run.files("models").exists("other.pt")).toBe(false);
    });
    const dir = join(temp.dir, "alice/p/files");
    expect(stored).toMatch(new RegExp(`^${dir}/files/models/\\d+/model\\.pt$`));
    expect(readFileSync(stored, "utf8")).toBe("weights");
    const metadata = JSON.parse(readFileSync(join(dir, "files/.files_metadata.json"), "utf8"));
    expect(metadata.files[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      experimentId: "p/alice/p/files",
      path: "/models",
      filename: "model.pt",
      description: null,
      tags: [],
      bindrs: [],
      contentType: "application/octet-stream",
      sizeBytes: 7,
      checksum: createHash("sha256").update("weights").digest("hex"),
      metadata: null,
      uploadedAt: expect.any(String),
      updatedAt: expect.any(String),
      deletedAt: null,
    });
    expect(metadata.files[2]).toMatchObject({
      path: "/",
      filename: "config.json",
      contentType: "application/json",
    });
    expect(readdirSync(join(dir, "files"))).toEqual(expect.arrayContaining([metadata.files[2].id, "models"]));

    const reader = Run.open("alice/p/files", { root: temp.dir });
    expect(
      reader
        .files("models")
        .list()
        .map((f) => f.filename),
    ).toEqual(["model.pt", "best.pt"]);
    expect(
      reader
        .files("models/best")
        .list()
        .map((f) => f.filename),
    ).toEqual(["best.pt"]);
    expect(reader.listFiles()).toHaveLength(3);
    const out = await reader.files("models").download("model.pt", { to: join(temp.dir, "out.pt") });
    expect(readFileSync(out, "utf8")).toBe("weights");
    await expect(reader.files("models").download("nope.pt")).rejects.toThrow(TrackedFileNotFoundError);
    await expect(reader.files("models").save(source)).rejects.toThrow(TrackingValueError);

    // A stored file changed after the fact is caught by its checksum.
    writeFileSync(stored, "tampered");
    const target = join(temp.dir, "tampered.pt");
    await expect(reader.files("models").download("model.pt", { to: target })).rejects.toThrow(
      ChecksumMismatchError,
    );
    expect(existsSync(target)).toBe(false);
  });

  it("replaces a file saved again under the same name, as ML-Dash does", async () => {
    await tracked({ prefix: "alice/p/replace", root: temp.dir }, async (run) => {
      const first = await run.files("ckpt").save(Buffer.from("v1"), { name: "last.pt" });
      const second = await run.files("ckpt").save(Buffer.from("v2"), { name: "last.pt" });
      expect(existsSync(first)).toBe(false);
      expect(readFileSync(second, "utf8")).toBe("v2");
      expect(run.files("ckpt").list()).toHaveLength(1);
    });
  });

  it("rejects missing sources and bytes without a name", async () => {
    await tracked({ prefix: "alice/p/badfiles", root: temp.dir }, async (run) => {
      await expect(run.files("m").save(join(temp.dir, "missing.pt"))).rejects.toThrow(
        TrackedFileNotFoundError,
      );
      await expect(run.files("m").save(Buffer.from("x"))).rejects.toThrow(TrackingValueError);
      await expect(run.files("m").save(42 as never)).rejects.toThrow(TrackingValueError);
    });
  });
});
