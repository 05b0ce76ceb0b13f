#!/usr/bin/env node
// CI runs `npm install` on a clean checkout; if that rewrote package-lock.json, the committed lockfile is stale
// or incomplete (e.g. it lacks another platform's optional packages) and a fresh install elsewhere may differ.
import { spawnSync } from "node:child_process";

const inside = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { encoding: "utf8" });
if (inside.status !== 0 || inside.stdout.trim() !== "true") {
  console.log("check-lockfile: not a git checkout, nothing to compare.");
  process.exit(0);
}
const status = spawnSync("git", ["status", "--porcelain", "--", "package-lock.json"], { encoding: "utf8" });
if (status.status !== 0) {
  console.error(`check-lockfile: git status failed: ${status.stderr.trim()}`);
  process.exit(1);
}
if (status.stdout.trim() !== "") {
  const diff = spawnSync("git", ["diff", "--stat", "--", "package-lock.json"], { encoding: "utf8" });
  console.error(
    "package-lock.json differs from the committed one after `npm install`:\n" +
      `${diff.stdout}` +
      "Commit the lockfile npm writes (`npm install --package-lock-only`), complete for every platform, " +
      "and run the install again.",
  );
  process.exit(1);
}
console.log("check-lockfile: package-lock.json is as committed.");
