// Child-process entry of a Partial: `node partial-runner.js <jobDir>/partial.json`.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { callPartial } from "./partial-call.js";
import type { PartialCall } from "./partial-call.js";

const callFile = process.argv[2];
if (!callFile) {
  console.error("usage: partial-runner <partial.json>");
  process.exit(2);
}
try {
  const call = JSON.parse(readFileSync(callFile, "utf8")) as PartialCall;
  await callPartial(call, dirname(callFile));
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
}
