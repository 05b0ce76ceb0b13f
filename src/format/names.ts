import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { InvalidPrefixError, InvalidTrackingNameError } from "../errors.js";

/** The parts of a run prefix `owner/project/path.../name`. */
export interface ParsedPrefix {
  readonly prefix: string;
  readonly segments: readonly string[];
  readonly owner: string;
  readonly project: string;
  /** The last segment; the project for a two-segment prefix (as ML-Dash does). */
  readonly name: string;
}

function segmentProblem(segment: string): string | undefined {
  if (segment.length === 0) return "it has an empty segment";
  if (segment === "." || segment === "..") return `it has a "${segment}" segment`;
  if (segment.includes("\\")) return "it contains a backslash";
  if (segment.includes("\0")) return "it contains a NUL character";
  if (/[\u0001-\u001f\u007f]/.test(segment)) return "it contains a control character (newline, tab, …)";
  if (loneSurrogate.test(segment)) return "it is not valid Unicode (a lone UTF-16 surrogate)";
  if (segment.includes("\ufffd"))
    return "it contains U+FFFD, the mark of bytes that were not valid UTF-8: send the name as UTF-8";
  return undefined;
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Checks a run prefix and splits it. Throws InvalidPrefixError. */
export function parsePrefix(prefix: string): ParsedPrefix {
  if (typeof prefix !== "string" || prefix.length === 0)
    throw new InvalidPrefixError(String(prefix), "it is empty");
  if (prefix.startsWith("/") || isAbsolute(prefix))
    throw new InvalidPrefixError(prefix, "it is an absolute path");
  const segments = prefix.split("/");
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) throw new InvalidPrefixError(prefix, problem);
  }
  if (segments.length < 2)
    throw new InvalidPrefixError(prefix, "it has a single segment (an owner without a project)");
  return {
    prefix,
    segments,
    owner: segments[0]!,
    project: segments[1]!,
    name: segments[segments.length - 1]!,
  };
}

/** The default root of runs: `$LABRUN_RUNS`, else `<$LABRUN_HOME or ~/.labrun>/runs`. */
export function defaultRunsRoot(): string {
  const runs = process.env.LABRUN_RUNS;
  if (runs) return resolve(runs);
  const home = process.env.LABRUN_HOME;
  return resolve(home && home.length > 0 ? home : join(homedir(), ".labrun"), "runs");
}

/** `<root>/<prefix>`, one folder per segment, as ML-Dash maps it. */
export function runDirFor(root: string, prefix: string): string {
  return join(resolve(root), ...parsePrefix(prefix).segments);
}

/** The folder name of the unnamed metric stream (ML-Dash writes `str(None)`). */
export const unnamedMetricDir = "None";

/** Checks a metric stream name or track topic segment: one path segment. */
export function checkStreamName(what: string, name: string): string {
  if (typeof name !== "string") throw new InvalidTrackingNameError(what, String(name), "it is not a string");
  const problem = segmentProblem(name) ?? (name.includes("/") ? 'it contains "/"' : undefined);
  if (problem) throw new InvalidTrackingNameError(what, name, problem);
  if (name === unnamedMetricDir && what === "Metric name") {
    throw new InvalidTrackingNameError(what, name, '"None" is the folder of the unnamed stream');
  }
  return name;
}

/** The folder of a track topic: `/` replaced by `_`, as ML-Dash does. */
export function trackDirName(topic: string): string {
  if (typeof topic !== "string" || topic.length === 0) {
    throw new InvalidTrackingNameError("Track topic", String(topic), "it is empty");
  }
  return checkStreamName("Track topic", topic.replaceAll("/", "_"));
}

/**
 * Normalises a file folder (`"models"`, `"/models/best"`, `""`) to ML-Dash's stored form with a leading
 * `/` (`"/models"`, `"/models/best"`, `"/"`). Throws on `..`, empty inner segments and the like.
 */
export function normaliseFileFolder(folder: string | undefined): string {
  if (folder === undefined || folder === "" || folder === "/") return "/";
  if (typeof folder !== "string")
    throw new InvalidTrackingNameError("File folder", String(folder), "it is not a string");
  const trimmed = folder.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed.length === 0) return "/";
  for (const segment of trimmed.split("/")) {
    const problem = segmentProblem(segment);
    if (problem) throw new InvalidTrackingNameError("File folder", folder, problem);
  }
  return `/${trimmed}`;
}

/** Checks a stored file's name: one path segment. */
export function checkFileName(name: string): string {
  if (typeof name !== "string")
    throw new InvalidTrackingNameError("File name", String(name), "it is not a string");
  const problem =
    segmentProblem(name) ??
    (name.includes("/") ? 'it contains "/" (put folders in files("folder"))' : undefined);
  if (problem) throw new InvalidTrackingNameError("File name", name, problem);
  return name;
}
