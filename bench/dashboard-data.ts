// Workspaces for bench/dashboard.ts, written directly in labrun's on-disk formats (no jobs are run).
import { mkdirSync, openSync, closeSync, writeSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { experimentIndexReader } from "../src/experiment/experiment-index.js";
import { experimentState } from "../src/experiment/experiment-record.js";
import { syncExperiment, WorkspaceIndex } from "../src/workspace/index/index.js";
import type { JobState } from "../src/workspace/job-record.js";
import { writeFakeExperiment } from "../test/index/fake-workspace.js";

/**
 * `count` experiments of `jobs` jobs each, 5 % still running, over 100 titles and 8 hosts. With `indexed`,
 * each experiment is also recorded in the workspace index as its driver does when it writes its records
 * (`syncExperiment`, what `indexWhileDriving` and `indexExperiment` call): the workspace labrun's own writers
 * leave. Without, the files are written behind the index's back (a copy, rsync).
 */
export function writeExperiments(root: string, count: number, jobs: number, indexed = false): void {
  const index = indexed ? WorkspaceIndex.open(root, { experimentState }) : undefined;
  try {
    for (let i = 0; i < count; i++) {
      const { dir } = writeExperiment(root, i, jobs);
      if (index) syncExperiment(index, root, relative(root, dir), experimentIndexReader);
    }
  } finally {
    index?.close();
  }
}

function writeExperiment(root: string, i: number, jobs: number): { dir: string } {
  const running = i % 20 === 0;
  const states: JobState[] = Array.from({ length: jobs }, (_, j) =>
    running && j >= jobs / 2 ? "RUNNING" : j % 17 === 3 ? "FAILED" : "COMPLETED",
  );
  return writeFakeExperiment(root, {
    title: `title-${i % 100}`,
    id: `title-${i % 100}_${String(i).padStart(6, "0")}`,
    host: `node-${i % 8}`,
    createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    jobs: states,
    finished: !running,
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A run folder's experiment.json and parameters.json, as the SDK writes them. */
export function writeRunRecord(
  dir: string,
  prefix: string,
  params: Record<string, unknown>,
  start: number,
): void {
  mkdirSync(dir, { recursive: true });
  const segments = prefix.split("/");
  writeFileSync(
    join(dir, "experiment.json"),
    JSON.stringify({
      name: segments.at(-1),
      project: segments[1],
      description: null,
      tags: ["bench"],
      bindrs: [],
      prefix,
      metadata: null,
      created_at: iso(start),
      write_protected: false,
      labrunFormat: 1,
      status: "COMPLETED",
      statusReason: null,
      startedAt: iso(start),
      endedAt: iso(start + 3_600_000),
      heartbeatAt: iso(start + 3_600_000),
      heartbeatIntervalSec: 15,
      host: "bench",
      pid: 1,
      processStart: null,
      error: null,
    }),
  );
  writeFileSync(
    join(dir, "parameters.json"),
    JSON.stringify({ version: 1, data: params, createdAt: iso(start), updatedAt: iso(start) }),
  );
}

/**
 * A metric stream of `points` points with the given fields (plus step and _ts), written in 4 MB slabs.
 * `value(field, i)` gives each field's value.
 */
export function writeStream(
  runDir: string,
  name: string,
  points: number,
  fields: readonly string[],
  value: (field: number, i: number) => number,
  start: number,
): void {
  const dir = join(runDir, "metrics", name);
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, "data.jsonl"), "w");
  const created = iso(start);
  let slab = "";
  for (let i = 0; i < points; i++) {
    let data = `"step":${i}`;
    for (let f = 0; f < fields.length; f++) data += `,"${fields[f]}":${value(f, i)}`;
    slab += `{"index":${i},"data":{${data},"_ts":${(start / 1000 + i * 0.01).toFixed(3)}},"createdAt":"${created}"}\n`;
    if (slab.length > 4_000_000) {
      writeSync(fd, slab);
      slab = "";
    }
  }
  writeSync(fd, slab);
  closeSync(fd);
  writeFileSync(
    join(dir, "metadata.json"),
    JSON.stringify({
      name,
      nextIndex: points,
      totalDataPoints: points,
      createdAt: created,
      updatedAt: created,
    }),
  );
}

/** `runs` runs in one project, each with `streams` × `fieldsPerStream` metric keys of `points` points. */
export function writeSweep(
  root: string,
  runs: number,
  streams: number,
  fieldsPerStream: number,
  points: number,
): string[] {
  const fields = Array.from({ length: fieldsPerStream }, (_, f) => `f${String(f).padStart(4, "0")}`);
  const ids: string[] = [];
  for (let r = 0; r < runs; r++) {
    const prefix = `bench/sweep/group-${r % 10}/run-${String(r).padStart(4, "0")}`;
    const dir = join(root, "runs", ...prefix.split("/"));
    const start = Date.UTC(2026, 0, 1) + r * 60_000;
    writeRunRecord(
      dir,
      prefix,
      { lr: 10 ** -(1 + (r % 4)), batch: 32 << (r % 3), "model.depth": 18 + (r % 5) * 16, seed: r },
      start,
    );
    for (let s = 0; s < streams; s++)
      writeStream(
        dir,
        `s${String(s).padStart(2, "0")}`,
        points,
        fields,
        (f, i) => +(Math.sin(r + f + i) * 0.5 + 1).toFixed(4),
        start,
      );
    ids.push(["runs", ...prefix.split("/")].join("/"));
  }
  return ids;
}

/** One run whose `train` stream has `points` points of loss and acc (with a spike to find). */
export function writeBigRun(root: string, points: number): string {
  const prefix = "bench/big/one-million";
  const dir = join(root, "runs", ...prefix.split("/"));
  const start = Date.UTC(2026, 0, 2);
  writeRunRecord(dir, prefix, { lr: 0.001 }, start);
  writeStream(
    dir,
    "train",
    points,
    ["loss", "acc"],
    (f, i) =>
      f === 0
        ? i === Math.floor(points * 0.737)
          ? 25
          : +(2 * Math.exp((-i / points) * 4) + 0.1 * Math.sin(i / 50)).toFixed(5)
        : +(i / points).toFixed(5),
    start,
  );
  return ["runs", ...prefix.split("/")].join("/");
}

/** `count` runs with a `train` stream of `points` points, to compare on one chart. */
export function writeCompareRuns(root: string, count: number, points: number): string[] {
  const ids: string[] = [];
  for (let r = 0; r < count; r++) {
    const prefix = `bench/compare/run-${String(r).padStart(2, "0")}`;
    const dir = join(root, "runs", ...prefix.split("/"));
    const start = Date.UTC(2026, 0, 3) + r * 1000;
    writeRunRecord(dir, prefix, { lr: 0.001 * (r + 1) }, start);
    writeStream(
      dir,
      "train",
      points,
      ["loss"],
      (_f, i) => +(2 * Math.exp(-(i / points) * (2 + r / 5)) + 0.05 * Math.sin(i / 30 + r)).toFixed(5),
      start,
    );
    ids.push(["runs", ...prefix.split("/")].join("/"));
  }
  return ids;
}
