import { join } from "node:path";
import { readJsonObject } from "../../format/json-file.js";
import { jsonlProblem } from "../../format/jsonl-file.js";
import { readFileRecords } from "../../format/file-records.js";
import { subdirectories } from "../../util/subdirectories.js";
import { RecordWarnings, skipCorrupt } from "../../util/record-warning.js";
import type { StoreProblem } from "../store.js";

/**
 * The files of a run that cannot be read, or only in part: the files' list, a stream's metadata.json, and
 * damaged lines of the JSONL files (read whole only when small: a view asks again every few seconds).
 */
export async function runProblems(dir: string, writing: boolean): Promise<StoreProblem[]> {
  const warnings = new RecordWarnings();
  skipCorrupt(() => readFileRecords(dir), [], warnings.add);
  const jsonlFiles: { file: string; expectedLines?: number }[] = [];
  for (const folder of subdirectories(join(dir, "metrics"))) {
    const meta = skipCorrupt(
      () => readJsonObject(join(dir, "metrics", folder, "metadata.json")),
      undefined,
      warnings.add,
    );
    const total = meta?.totalDataPoints;
    jsonlFiles.push({
      file: join(dir, "metrics", folder, "data.jsonl"),
      ...(typeof total === "number" && total > 0 ? { expectedLines: total } : {}),
    });
  }
  jsonlFiles.push({ file: join(dir, "logs", "logs.jsonl") });
  for (const { file, expectedLines } of jsonlFiles) {
    const problem = await jsonlProblem(file, {
      writing,
      wholeBelowBytes: 2 ** 20,
      ...(expectedLines ? { expectedLines } : {}),
    });
    if (problem) warnings.add({ file, problem });
  }
  return warnings.list;
}
