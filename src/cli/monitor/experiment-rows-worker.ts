import { parentPort, workerData } from "node:worker_threads";
import { isLabrunError } from "../../errors.js";
import { Workspace } from "../../workspace/workspace.js";
import { readExperimentRows } from "./experiment-rows.js";
import type { RowsReply } from "./rows-reader.js";

// Runs in a worker thread: each message asks for the list once.
const workspace = new Workspace((workerData as { root: string }).root);
parentPort!.on("message", () => {
  const warnings: string[] = [];
  let reply: RowsReply;
  try {
    reply = { rows: readExperimentRows(workspace, (message) => warnings.push(message)), warnings };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = { error: isLabrunError(error) ? `[${error.code}] ${message}` : message, warnings };
  }
  parentPort!.postMessage(reply);
});
