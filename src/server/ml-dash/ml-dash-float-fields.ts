import type { StoredRun } from "../../store/store.js";
import type { ServerContext } from "../context.js";
import { setRunMetadata } from "../run-metadata.js";

/**
 * ML-Dash's rows answer types each column (float64, int64, …) and its client decodes cells by that type, so a
 * Python `1.0` must come back as float64. labrun keeps every number as a float64 without its type, and
 * JSON.parse reads `1.0` as 1: the fields a client wrote with a float literal of integral value (`1.0`,
 * `1e+16`) are found in the request's text and recorded per stream in the run's metadata, once.
 */
const metadataKey = "mlDashFloatFields";

// An integral float literal, from its first digit (not inside a longer number) to the end of the value: `1.0`,
// `-20.00`, `1e+16`, `2.5E3`.
const integralFloat = /(?<![\d.])-?\d+(?:\.0+|(?:\.\d+)?[eE]\+?\d+)(?=\s*[,}\]])/g;

const maybeIntegralFloat = /\.0+(?=\s*[,}\]])|\d[eE]\+?\d/;

const isSpace = (ch: string | undefined) => ch === " " || ch === "\n" || ch === "\r" || ch === "\t";

/** The object key right before `index` (`"key": ` ← index), or undefined when the number is not a value. */
function keyBefore(text: string, index: number): string | undefined {
  let i = index - 1;
  while (isSpace(text[i])) i--;
  if (text[i] !== ":") return undefined;
  i--;
  while (isSpace(text[i])) i--;
  if (text[i] !== '"') return undefined;
  const end = i;
  // Keys are short: look back at most 1,000 characters for the opening quote.
  for (i = end - 1; i >= 0 && end - i < 1000; i--) {
    if (text[i] !== '"') continue;
    let slashes = 0;
    while (text[i - 1 - slashes] === "\\") slashes++;
    if (slashes % 2 === 0) break;
  }
  try {
    const key: unknown = JSON.parse(text.slice(i, end + 1));
    return typeof key === "string" ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The keys written with an integral float value in a JSON text (`timeKey` left out). */
export function integralFloatKeys(text: string, timeKey: string): Set<string> {
  const keys = new Set<string>();
  // Most bodies have none: a quick look for `.0` ending a number or an exponent avoids the full scan.
  if (!maybeIntegralFloat.test(text)) return keys;
  // The points of a batch repeat their fields: after 64 integral floats in a row that name no new key, the rest
  // of the body is skipped (a field first sent as `1.0` later in a long batch is found in the next one).
  let unchanged = 0;
  for (const match of text.matchAll(integralFloat)) {
    if (!Number.isInteger(Number(match[0]))) continue;
    const key = keyBefore(text, match.index);
    if (key === undefined || key === timeKey || keys.has(key)) {
      if (++unchanged >= 64) break;
      continue;
    }
    keys.add(key);
    unchanged = 0;
  }
  return keys;
}

/** The fields of a stream that are floats even where their value is integral. */
export function floatFieldsOf(run: StoredRun, stream: string): ReadonlySet<string> {
  const all = run.metadata[metadataKey];
  const list =
    typeof all === "object" && all !== null && !Array.isArray(all)
      ? (all as Record<string, unknown>)[stream]
      : [];
  return new Set(Array.isArray(list) ? list.filter((f): f is string => typeof f === "string") : []);
}

/** Records new float fields of a stream (no write when all are known already). */
export async function rememberFloatFields(
  ctx: ServerContext,
  run: StoredRun,
  stream: string,
  keys: ReadonlySet<string>,
): Promise<void> {
  const known = floatFieldsOf(run, stream);
  if ([...keys].every((key) => known.has(key))) return;
  const all = run.metadata[metadataKey];
  const record = typeof all === "object" && all !== null && !Array.isArray(all) ? all : {};
  await setRunMetadata(ctx.store, run, metadataKey, {
    ...record,
    [stream]: [...new Set([...known, ...keys])].sort(),
  });
}
