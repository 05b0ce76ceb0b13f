import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-file.js";
import type { GitInfo } from "../workspace/provenance.js";
import type { RunMode } from "./run-mode.js";

/**
 * `informations.json`, beside experiment.json in the directory of an experiment started from YAML: who
 * started it where, from which code and which configuration (experimaestro keeps the same file).
 */
export interface ExperimentInformations {
  readonly version: 1;
  /** The YAML `id` (with its timestamp when `add_timestamp` is set): the experiment's title. */
  readonly id: string;
  /** The launched experiment's id (`<id>_<YYYYMMDD-HHMMSS>`). */
  readonly experimentId: string;
  readonly title: string;
  readonly subtitle: string;
  readonly description: string;
  readonly paper: string;
  readonly hostname: string;
  readonly user: string;
  readonly git: GitInfo | null;
  /** When `labrun run-experiment` started (ISO 8601). */
  readonly startedAt: string;
  readonly runMode: RunMode;
  readonly experimentFile: string;
  /** The YAML files merged, lowest priority first. */
  readonly yamlFiles: readonly string[];
  /** The `-c` overrides, in order. */
  readonly overrides: readonly string[];
  /** The configuration `run` received (validated, defaults filled in). */
  readonly configuration: unknown;
}

/** Its name in the experiment's directory. */
export const informationsFile = "informations.json";

/** The record, with this machine's hostname and the user added. */
export function buildInformations(
  fields: Omit<ExperimentInformations, "version" | "hostname" | "user">,
): ExperimentInformations {
  const { id, experimentId, ...rest } = fields;
  return { version: 1, id, experimentId, hostname: hostname(), user: currentUser(), ...rest };
}

/** Writes informations.json atomically into the experiment's directory; returns its path. */
export function writeInformations(dir: string, informations: ExperimentInformations): string {
  const file = join(dir, informationsFile);
  writeFileAtomic(file, `${JSON.stringify(informations, null, 2)}\n`);
  return file;
}

/** The user recorded for the experiment, as experiment.json records it (`$LABRUN_USER`, else `$USER`). */
export function currentUser(): string {
  const fromEnv = process.env.LABRUN_USER || process.env.USER;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
