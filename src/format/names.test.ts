import { describe, expect, it } from "vitest";
import { InvalidPrefixError, InvalidTrackingNameError } from "../errors.js";
import {
  checkFileName,
  checkStreamName,
  normaliseFileFolder,
  parsePrefix,
  runDirFor,
  trackDirName,
} from "./names.js";

describe("run prefixes", () => {
  it("splits owner, project and name as ML-Dash does", () => {
    expect(parsePrefix("alice/vision/sweeps/resnet")).toMatchObject({
      owner: "alice",
      project: "vision",
      name: "resnet",
      segments: ["alice", "vision", "sweeps", "resnet"],
    });
    // Two segments: the name is the project.
    expect(parsePrefix("alice/vision")).toMatchObject({ owner: "alice", project: "vision", name: "vision" });
  });

  it("maps a prefix to one folder per segment under the root", () => {
    expect(runDirFor("/r", "alice/vision/resnet")).toBe("/r/alice/vision/resnet");
  });

  it.each([
    ["", "empty"],
    ["/abs/olute/path", "absolute"],
    ["alice", "single segment"],
    ["alice//resnet", "empty segment"],
    ["alice/vision/", "empty segment"],
    ["alice/../../etc", '".." segment'],
    ["alice/./x", '"." segment'],
    ["alice/vi\\sion", "backslash"],
    ["alice/vi\0sion", "NUL"],
  ])("rejects %j (%s) with INVALID_PREFIX", (prefix, problem) => {
    const attempt = () => parsePrefix(prefix);
    expect(attempt).toThrow(InvalidPrefixError);
    expect(attempt).toThrow(problem);
    try {
      attempt();
    } catch (error) {
      expect((error as InvalidPrefixError).code).toBe("INVALID_PREFIX");
    }
  });
});

describe("names inside a run", () => {
  it("normalises file folders to ML-Dash's stored form", () => {
    expect(normaliseFileFolder(undefined)).toBe("/");
    expect(normaliseFileFolder("")).toBe("/");
    expect(normaliseFileFolder("models")).toBe("/models");
    expect(normaliseFileFolder("/models/best/")).toBe("/models/best");
  });

  it.each(["../x", "models/../../x", "a//b", "a/./b"])("rejects the file folder %j", (folder) => {
    expect(() => normaliseFileFolder(folder)).toThrow(InvalidTrackingNameError);
  });

  it.each(["", ".", "..", "a/b", "../x", "a\\b"])("rejects the file name %j", (name) => {
    expect(() => checkFileName(name)).toThrow(InvalidTrackingNameError);
  });

  it("checks metric names and maps track topics to folders", () => {
    expect(checkStreamName("Metric name", "train")).toBe("train");
    for (const bad of ["", "a/b", "..", "None"]) {
      expect(() => checkStreamName("Metric name", bad)).toThrow(InvalidTrackingNameError);
    }
    expect(trackDirName("robot/pos")).toBe("robot_pos");
    expect(() => trackDirName("")).toThrow(InvalidTrackingNameError);
    expect(() => trackDirName("..")).toThrow(InvalidTrackingNameError);
  });
});
