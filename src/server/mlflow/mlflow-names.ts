import { createHash, randomBytes } from "node:crypto";
import type { RunStatus } from "../../store/store.js";

/** The owner segment of every run the MLflow API creates: `mlflow/<experiment>/<run>`. */
export const mlflowOwner = "mlflow";
/** Experiment "0", which MLflow clients expect to exist. */
export const defaultExperimentName = "Default";
export const defaultExperimentId = "0";

/**
 * A name as one prefix segment. Names that are already plain are kept (`my-exp`); others get their
 * unsafe characters replaced and a hash of the full name appended, so two names never share a segment.
 */
export function nameSegment(name: string): string {
  const plain = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
  if (plain === name && name !== "." && name !== ".." && name.length > 0) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${plain.replace(/^\.+/, "_")}-${hash}`;
}

/** A fresh run segment: the run name made safe, then a random suffix. */
export function runSegment(runName: string): string {
  const plain =
    runName
      .replace(/[^A-Za-z0-9._-]/g, "_")
      .replace(/^\.+/, "_")
      .slice(0, 60) || "run";
  return `${plain}-${randomBytes(4).toString("hex")}`;
}

/**
 * An MLflow metric key as a labrun stream name (one path segment): `/` and `%` are percent-encoded
 * (`train/loss` → `train%2Floss`), and the few names a stream cannot have are escaped too.
 */
export function streamOfMetricKey(key: string): string {
  const encoded = key.replaceAll("%", "%25").replaceAll("/", "%2F").replaceAll("\\", "%5C");
  if (encoded === "." || encoded === ".." || encoded === "None" || encoded === "_") return `%${encoded}`;
  return encoded;
}

export function metricKeyOfStream(stream: string): string {
  const body = /^%(\.|\.\.|None|_)$/.test(stream) ? stream.slice(1) : stream;
  return body.replace(/%(2F|5C|25)/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

const toMlflow: Readonly<Record<RunStatus, string>> = {
  RUNNING: "RUNNING",
  COMPLETED: "FINISHED",
  FAILED: "FAILED",
  CANCELLED: "KILLED",
  // MLflow has no unknown status: SCHEDULED is its one status that is neither running nor final.
  UNKNOWN: "SCHEDULED",
};
const fromMlflow: Readonly<Record<string, RunStatus>> = {
  RUNNING: "RUNNING",
  SCHEDULED: "RUNNING",
  FINISHED: "COMPLETED",
  FAILED: "FAILED",
  KILLED: "CANCELLED",
};

export const mlflowStatusOf = (status: RunStatus): string => toMlflow[status];
export const labrunStatusOf = (status: string): RunStatus | undefined => fromMlflow[status];
