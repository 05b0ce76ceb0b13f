import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { FilesStore } from "../../src/store/files/files-store.js";
import { ValidatingStore } from "../../src/store/validating-store.js";
import { storeContract } from "../../src/testing/store-contract.js";

const dir = mkdtempSync(join(tmpdir(), "labrun-files-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeContract({
  name: "files",
  create: () => new ValidatingStore(new FilesStore({ root: join(dir, "runs"), base: dir })),
  skip: { tokens: "a run folder has no tokens: its file permissions guard it" },
});
