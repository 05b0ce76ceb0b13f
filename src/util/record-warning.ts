import { isLabrunError } from "../errors.js";
import type { LabrunError } from "../errors.js";

/**
 * A record a listing skipped (or read only in part) because its file could not be read: the file, and what
 * is wrong with it. Listings collect these instead of failing as a whole or dropping the record silently;
 * the CLI prints them on stderr (and in `--json` output), the dashboard returns them beside its rows.
 */
export interface RecordWarning {
  /** Absolute path of the damaged file. */
  readonly file: string;
  readonly problem: string;
}

/** Hears every record a listing skips. */
export type OnRecordWarning = (warning: RecordWarning) => void;

/** True for a `CorruptRecordError` (of any copy of labrun). */
export function isCorruptRecord(error: unknown): error is LabrunError {
  return isLabrunError(error) && error.code === "CORRUPT_RECORD";
}

/**
 * The warning for an error thrown while reading `file`: a `CorruptRecordError` names its own file and
 * problem; any other error (an I/O error) is rethrown, since it says nothing about the record.
 */
export function recordWarningOf(error: unknown): RecordWarning {
  if (isCorruptRecord(error)) {
    const { file, problem } = error.details as { file?: unknown; problem?: unknown };
    if (typeof file === "string" && typeof problem === "string") return { file, problem };
  }
  throw error;
}

/**
 * Runs `read`; when it throws a `CorruptRecordError`, reports it to `warn` and returns `fallback`.
 *
 * @example const record = skipCorrupt(() => readJob(dir), undefined, warn);
 */
export function skipCorrupt<T>(read: () => T, fallback: T, warn: OnRecordWarning | undefined): T {
  try {
    return read();
  } catch (error) {
    const warning = recordWarningOf(error);
    warn?.(warning);
    return fallback;
  }
}

/** Collects warnings, once per file and problem (a record read twice in one listing is named once). */
export class RecordWarnings {
  readonly #seen = new Map<string, RecordWarning>();

  /** Bound, to pass as an `OnRecordWarning`. */
  readonly add: OnRecordWarning = (warning) => {
    const key = `${warning.file}\0${warning.problem}`;
    if (!this.#seen.has(key)) this.#seen.set(key, { file: warning.file, problem: warning.problem });
  };

  get list(): RecordWarning[] {
    return [...this.#seen.values()];
  }
}
