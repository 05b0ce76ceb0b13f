import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { LocalFileStorage } from "../../src/server/files/local-file-storage.js";
import { fileStorageContract } from "./file-storage-contract.js";

const dir = mkdtempSync(join(tmpdir(), "labrun-local-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = (folder: string): string[] =>
  readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);

fileStorageContract({
  name: "local folder",
  create: async () => new LocalFileStorage(join(dir, "files")),
  contents: async (storage) => {
    const root = (storage as LocalFileStorage).root;
    mkdirSync(join(root, "blobs"), { recursive: true });
    mkdirSync(join(root, "tmp"), { recursive: true });
    return { blobs: files(join(root, "blobs")).length, unfinished: files(join(root, "tmp")).length };
  },
  leaveUnfinished: async (storage) => {
    const tmp = join((storage as LocalFileStorage).root, "tmp");
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, `${Math.random().toString(36).slice(2)}.part`), "half of an upload");
  },
  partBytes: 1024 * 1024,
});
