// The corruption matrix: every file type of a workspace, cut short, garbled and emptied, against every
// listing of the CLI and of the dashboard API. Each case checks that listings still answer (exit code 0, 200),
// list the rest, name the damaged file in a warning, that asking for the damaged record itself is a
// CORRUPT_RECORD error, and that nothing wrote over the file.
import { cpSync, existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cancelCommand,
  listCommand,
  logsCommand,
  statusCommand,
} from "../../src/cli/commands/experiment-commands.js";
import {
  experimentsListCommand,
  experimentsResyncCommand,
} from "../../src/cli/commands/experiments-commands.js";
import { jobsListCommand } from "../../src/cli/commands/jobs-commands.js";
import { logParamCommand } from "../../src/cli/commands/log-commands.js";
import {
  runsListCommand,
  runsMetricsCommand,
  runsShowCommand,
} from "../../src/cli/commands/runs-commands.js";
import { dashboardApi } from "../../src/server/dashboard/dashboard-app.js";
import { WorkspaceSource } from "../../src/server/dashboard/workspace-source.js";
import { readExperimentRows } from "../../src/cli/monitor/experiment-rows.js";
import { openExperiment, readJobs } from "../../src/cli/monitor/monitor-data.js";
import { Workspace } from "../../src/workspace/workspace.js";
import { ensureBuilt, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";
import { chromiumPath, ensureDashboardBuilt, launchChromium } from "../dashboard/browser.js";
import { capture, type Outcome } from "./capture.js";
import { buildWorkspace, type BuiltWorkspace } from "./workspace.js";

const damages = ["truncated", "garbled", "emptied"] as const;
type Damage = (typeof damages)[number];

/** The CLI's listings, the dashboard's, and two writes that read a record first. */
type Probe =
  | "experiment list"
  | "experiments list"
  | "experiments resync"
  | "jobs list"
  | "runs list"
  | "status alpha"
  | "status beta"
  | "logs alpha"
  | "runs show named"
  | "runs show train"
  | "runs metrics named"
  | "log param named"
  | "cancel alpha"
  | "monitor list"
  | "monitor alpha"
  | "dash experiments"
  | "dash runs"
  | "dash alpha"
  | "dash named";

interface FileType {
  readonly name: string;
  readonly path: (w: BuiltWorkspace) => string;
  /** The probes that must name the file in a warning (per damage when it depends on it). */
  readonly namedBy: readonly Probe[] | ((damage: Damage) => readonly Probe[]);
  /** The probes that ask for the damaged record itself: CORRUPT_RECORD (exit code 1, HTTP 409). */
  readonly refusedBy?: readonly Probe[];
  /** Probes that cannot find the record any more (a job's run, found by its prefix): RUN_NOT_FOUND, naming it. */
  readonly notFoundBy?: readonly Probe[];
  /** What listings leave out. */
  readonly gone?: {
    readonly experiments?: "alpha";
    readonly job?: "train";
    readonly run?: "named" | "train";
  };
  /** A cache that labrun replaces when damaged (only the first reader names it; its bytes change). */
  readonly cache?: boolean;
}

const jsonl = (probes: readonly Probe[]) => (damage: Damage) => (damage === "emptied" ? [] : probes);
const trackDir = (w: BuiltWorkspace) => join(w.named.dir, "tracks", "robot_pos");

// One line per file type of the workspace.
const fileTypes: readonly FileType[] = [
  {
    name: "an experiment's experiment.json",
    path: (w) => join(w.alpha.dir, "experiment.json"),
    namedBy: [
      "experiment list",
      "experiments list",
      "experiments resync",
      "monitor list",
      "dash experiments",
    ],
    refusedBy: ["status alpha", "logs alpha", "cancel alpha", "monitor alpha", "dash alpha"],
    gone: { experiments: "alpha" },
  },
  {
    name: "job.json",
    path: (w) => join(w.train, "job.json"),
    // `experiments list` does not read the job files of ended experiments (resync does): see docs/cli.md.
    namedBy: [
      "experiment list",
      "experiments resync",
      "jobs list",
      "status alpha",
      "logs alpha",
      "dash alpha",
    ],
    refusedBy: ["cancel alpha"],
    gone: { job: "train" },
  },
  {
    name: "a job run's experiment.json",
    path: (w) => join(w.train, "run", "experiment.json"),
    namedBy: ["runs list", "status alpha", "dash runs", "dash alpha"],
    notFoundBy: ["runs show train"],
    gone: { run: "train" },
  },
  {
    name: "a job run's parameters.json",
    path: (w) => join(w.train, "run", "parameters.json"),
    namedBy: ["runs show train", "dash runs"],
  },
  {
    name: "a named run's experiment.json",
    path: (w) => join(w.named.dir, "experiment.json"),
    namedBy: ["runs list", "dash runs"],
    refusedBy: ["runs show named", "runs metrics named", "log param named", "dash named"],
    gone: { run: "named" },
  },
  {
    name: "parameters.json",
    path: (w) => join(w.named.dir, "parameters.json"),
    namedBy: ["runs show named", "dash runs", "dash named"],
    refusedBy: ["log param named"],
  },
  {
    name: "metrics data.jsonl",
    path: (w) => join(w.named.dir, "metrics", "train", "data.jsonl"),
    // Emptied, it is named by what counts its points: metadata.json says 5, the file holds none.
    namedBy: (damage) =>
      damage === "emptied"
        ? ["runs show named", "dash named"]
        : ["runs show named", "runs metrics named", "dash named"],
  },
  {
    name: "metrics metadata.json",
    path: (w) => join(w.named.dir, "metrics", "train", "metadata.json"),
    namedBy: ["runs show named", "dash named"],
  },
  {
    name: "logs.jsonl",
    path: (w) => join(w.named.dir, "logs", "logs.jsonl"),
    namedBy: jsonl(["runs show named", "dash named"]),
  },
  {
    name: "tracks data.jsonl",
    path: (w) => join(trackDir(w), "data.jsonl"),
    namedBy: jsonl(["runs show named"]),
  },
  {
    name: "tracks metadata.json",
    path: (w) => join(trackDir(w), "metadata.json"),
    namedBy: ["runs show named"],
  },
  {
    name: "the files list",
    path: (w) => join(w.named.dir, "files", ".files_metadata.json"),
    namedBy: ["runs show named", "dash named"],
  },
  { name: "exit_code", path: (w) => join(w.train, "exit_code"), namedBy: [] },
  { name: "informations.json", path: (w) => join(w.alpha.dir, "informations.json"), namedBy: [] },
  {
    name: "services.json",
    path: (w) => join(w.alpha.dir, "services.json"),
    namedBy: ["status alpha", "dash alpha"],
  },
  {
    name: "the index database",
    path: (w) => join(w.root, "index.sqlite"),
    // An emptied SQLite file is an empty database: it is filled again from the folders, nothing to name.
    namedBy: (damage) => (damage === "emptied" ? [] : ["experiments list"]),
    cache: true,
  },
];

function damage(file: string, how: Damage): Buffer {
  const bytes = readFileSync(file);
  let damaged: Buffer;
  if (how === "emptied") damaged = Buffer.alloc(0);
  else if (how === "truncated") {
    // Cut in the middle of the last record (of a JSON file: in the middle of the file).
    const lines = bytes.toString("utf8").trimEnd().split("\n");
    const last = lines.at(-1)!;
    const cut =
      lines.length > 1 ? bytes.length - Math.ceil(Buffer.byteLength(last) / 2) - 1 : bytes.length >> 1;
    damaged = bytes.subarray(0, cut);
  } else {
    // Bytes that no JSON, number or SQLite header can hold, in the middle (a SQLite file: over its header).
    damaged = Buffer.from(bytes);
    const at = file.endsWith(".sqlite") ? 0 : bytes.length >> 1;
    Buffer.from('\u0000\u00ff}{"#\u0001garbage').copy(damaged, Math.min(at, Math.max(0, bytes.length - 16)));
  }
  writeFileSync(file, damaged);
  // Damaged a while ago, as a real damaged file is (a file written in the last seconds may be mid-rewrite).
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(file, past, past);
  return damaged;
}

let base: ReturnType<typeof tempWorkspace>;
let built: BuiltWorkspace;
const scratch: string[] = [];

beforeAll(async () => {
  ensureBuilt();
  base = tempWorkspace("corrupt-base");
  built = await buildWorkspace(base.root);
}, 120_000);

afterAll(() => {
  base?.cleanup();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** The built workspace copied for one case, with every path moved there. */
function copyOf(caseName: string): BuiltWorkspace {
  const root = tempWorkspace(`corrupt-${caseName.replace(/\W+/g, "-")}`).root;
  scratch.push(root);
  cpSync(built.root, root, { recursive: true });
  const move = (path: string) => root + path.slice(built.root.length);
  return {
    ...built,
    root,
    alpha: { ...built.alpha, dir: move(built.alpha.dir) },
    beta: { ...built.beta, dir: move(built.beta.dir) },
    train: move(built.train),
    evalJob: move(built.evalJob),
    solo: move(built.solo),
    named: { ...built.named, dir: move(built.named.dir) },
  };
}

interface ProbeResult {
  readonly probe: Probe;
  readonly json: boolean;
  /** Exit code, or the HTTP status for the dashboard. */
  readonly code: number;
  readonly errorCode?: string;
  /** Files named in warnings. */
  readonly named: readonly string[];
  readonly text: string;
  readonly body: unknown;
}

function cliResult(probe: Probe, json: boolean, outcome: Outcome): ProbeResult {
  const named: string[] = [];
  let body: unknown;
  if (json && outcome.code === 0 && outcome.stdout.trim()) {
    body = JSON.parse(outcome.stdout);
    if (body && !Array.isArray(body) && typeof body === "object" && "warnings" in body)
      named.push(...(body.warnings as { file: string }[]).map((w) => w.file));
  }
  for (const line of outcome.stderr.split("\n")) {
    if (line.startsWith('{"warnings"'))
      named.push(...(JSON.parse(line) as { warnings: { file: string }[] }).warnings.map((w) => w.file));
    const warning = /^warning (\S+): /.exec(line);
    if (warning) named.push(warning[1]!);
  }
  const errorCode = /\[([A-Z_]+)\]/.exec(outcome.stderr)?.[1];
  return {
    probe,
    json,
    code: outcome.code,
    ...(errorCode ? { errorCode } : {}),
    named,
    text: outcome.stdout + outcome.stderr,
    body,
  };
}

/** Every probe, in text mode then with --json (the dashboard once), in this order. */
async function probeAll(w: BuiltWorkspace): Promise<ProbeResult[]> {
  const root = join(w.root, "runs");
  const results: ProbeResult[] = [];
  for (const json of [false, true]) {
    const g = { workspace: w.root, json };
    const cli: [Probe, () => number | Promise<number>][] = [
      ["experiments list", () => experimentsListCommand({}, g)],
      ["experiment list", () => listCommand({}, g)],
      ["experiments resync", () => experimentsResyncCommand(g)],
      ["jobs list", () => jobsListCommand({}, g)],
      ["runs list", () => runsListCommand({}, { ...g, root })],
      ["status alpha", () => statusCommand(w.alpha.id, g)],
      ["status beta", () => statusCommand(w.beta.id, g)],
      ["runs show named", () => runsShowCommand(w.named.prefix, { ...g, root })],
      ["runs show train", () => runsShowCommand(w.trainPrefix, { ...g, root })],
    ];
    if (!json)
      cli.push(
        ["logs alpha", () => logsCommand(w.alpha.id, undefined, {}, g)],
        ["runs metrics named", () => runsMetricsCommand(w.named.prefix, "train", {}, { ...g, root })],
      );
    for (const [probe, run] of cli) results.push(cliResult(probe, json, await capture(run)));
  }
  const api = dashboardApi(new WorkspaceSource(w.root));
  // The monitor's data sources: the experiments screen and an experiment's jobs screen.
  const monitor: [Probe, (warn: (message: string) => void) => Promise<unknown>][] = [
    ["monitor list", async (warn) => readExperimentRows(new Workspace(w.root), warn)],
    [
      "monitor alpha",
      async (warn) => {
        const opened = await openExperiment(new Workspace(w.root), w.alpha.id);
        opened.warnings.forEach(warn);
        return { jobs: await readJobs(opened) };
      },
    ],
  ];
  for (const [probe, read] of monitor) {
    const messages: string[] = [];
    const outcome = await capture(async () => {
      const body = await read((message) => messages.push(message));
      process.stdout.write(JSON.stringify(body));
      return 0;
    });
    const result = cliResult(probe, true, outcome);
    results.push({ ...result, named: messages.map((m) => m.slice(0, m.indexOf(": "))) });
  }
  const dash: [Probe, string][] = [
    ["dash experiments", "/experiments"],
    ["dash runs", "/runs"],
    ["dash alpha", `/experiments/${w.alpha.id}`],
    ["dash named", `/runs/${encodeURIComponent(`runs/${w.named.prefix}`)}`],
  ];
  for (const [probe, path] of dash) {
    const response = await api.request(path);
    const body = (await response.json()) as Record<string, unknown>;
    const inner = (body.experiment ?? body.run ?? body) as { warnings?: { file: string }[] };
    const error = body.error as { code?: string } | undefined;
    results.push({
      probe,
      json: true,
      code: response.status,
      ...(error?.code ? { errorCode: error.code } : {}),
      named: (inner.warnings ?? []).map((w) => w.file),
      text: JSON.stringify(body),
      body,
    });
  }
  // The writes last: they must refuse a damaged record, or leave it alone.
  const g = { workspace: w.root };
  results.push(
    cliResult(
      "log param named",
      false,
      await capture(() => logParamCommand(["lr=0.5"], { prefix: w.named.prefix, root })),
    ),
    cliResult(
      "cancel alpha",
      false,
      await capture(() => cancelCommand(w.alpha.id, undefined, { all: true }, g)),
    ),
  );
  return results;
}

/** What each listing must still list (the undamaged records), from its JSON. */
function listedRest(result: ProbeResult, w: BuiltWorkspace, type: FileType): void {
  const body = result.body as Record<string, unknown> | Record<string, unknown>[];
  const ids = (rows: unknown) => (rows as { id: string }[]).map((row) => row.id);
  const expectExperiments = (listed: string[]) => {
    expect(listed).toContain(w.beta.id);
    if (type.gone?.experiments === "alpha") expect(listed).not.toContain(w.alpha.id);
    else expect(listed).toContain(w.alpha.id);
  };
  const expectRuns = (prefixes: string[]) => {
    for (const [name, prefix] of [
      ["named", w.named.prefix],
      ["train", w.trainPrefix],
    ] as const) {
      if (type.gone?.run === name) expect(prefixes).not.toContain(prefix);
      else expect(prefixes).toContain(prefix);
    }
  };
  switch (result.probe) {
    case "experiment list":
    case "experiments list":
    case "monitor list":
      expectExperiments(ids(body));
      break;
    case "dash experiments":
      expectExperiments(ids((body as Record<string, unknown>).experiments));
      break;
    case "jobs list": {
      const identities = (body as { identity: string }[]).map((job) => job.identity);
      expect(identities).toEqual(expect.arrayContaining([basename(w.evalJob), basename(w.solo)]));
      expect(identities.includes(basename(w.train))).toBe(type.gone?.job !== "train");
      break;
    }
    case "runs list":
      expectRuns((body as { prefix: string }[]).map((run) => run.prefix));
      break;
    case "dash runs":
      expectRuns(((body as { runs: { prefix: string }[] }).runs ?? []).map((run) => run.prefix));
      break;
    case "monitor alpha":
    case "status alpha": {
      const names = (body as { jobs: { name: string }[] }).jobs.map((job) => job.name);
      expect(names).toContain("eval");
      expect(names.includes("train")).toBe(type.gone?.job !== "train");
      break;
    }
    case "status beta":
      expect((body as { jobs: unknown[] }).jobs).toHaveLength(1);
      break;
    default:
  }
}

const cases = fileTypes.flatMap((type) => damages.map((how) => ({ type, how })));

describe("corruption matrix", () => {
  it.each(cases.map((c) => [`${c.type.name}, ${c.how}`, c] as const))("%s", async (_name, { type, how }) => {
    const w = copyOf(`${type.name}-${how}`);
    const file = type.path(w);
    const damaged = damage(file, how);
    const results = await probeAll(w);
    const namedBy = typeof type.namedBy === "function" ? type.namedBy(how) : type.namedBy;
    const failures: string[] = [];
    const check = (result: ProbeResult, ok: boolean, what: string) => {
      if (!ok)
        failures.push(
          `${result.probe}${result.json ? " --json" : ""}: ${what}\n    ${result.text.slice(0, 600)}`,
        );
    };
    for (const result of results) {
      const refused = type.refusedBy?.includes(result.probe) ?? false;
      const notFound = type.notFoundBy?.includes(result.probe) ?? false;
      const dashboard = result.probe.startsWith("dash ");
      if (refused) {
        check(result, result.code === (dashboard ? 409 : 1), `code ${result.code}, expected a refusal`);
        check(
          result,
          result.errorCode === "CORRUPT_RECORD",
          `error ${result.errorCode}, expected CORRUPT_RECORD`,
        );
        check(result, result.text.includes(file), "the error does not name the file");
        continue;
      }
      if (notFound) {
        check(result, result.code === 1 && result.errorCode === "RUN_NOT_FOUND", `code ${result.code}`);
        check(result, result.named.includes(file), "no warning names the file");
        continue;
      }
      check(result, result.code === (dashboard ? 200 : 0), `code ${result.code} ${result.errorCode ?? ""}`);
      // A cache is named by the first that reads it (it is rebuilt then): `experiments list`, in text.
      const mustName =
        namedBy.includes(result.probe) &&
        !(type.cache && (result.json || result.probe !== "experiments list"));
      if (mustName) check(result, result.named.includes(file), "no warning names the file");
      // Nothing else is named: a warning is about the damaged file only.
      check(
        result,
        result.named.every((named) => named === file),
        `names other files: ${result.named.join(", ")}`,
      );
      if (result.json && result.code === 0 && result.body !== undefined) {
        try {
          listedRest(result, w, type);
        } catch (error) {
          check(result, false, `the rest is not listed: ${(error as Error).message}`);
        }
      }
    }
    if (!type.cache)
      expect(readFileSync(file).equals(damaged), "the damaged file was written over").toBe(true);
    expect(failures).toEqual([]);
  });
});

describe("the real CLI and `labrun ui` over a workspace with several damaged files", () => {
  it("lists the rest with a warning naming each file, refuses what asks for a damaged record, writes over nothing", async () => {
    const w = copyOf("real-processes");
    const jobFile = join(w.train, "job.json");
    const paramsFile = join(w.named.dir, "parameters.json");
    const dataFile = join(w.named.dir, "metrics", "train", "data.jsonl");
    const servicesFile = join(w.alpha.dir, "services.json");
    const betaFile = join(w.beta.dir, "experiment.json");
    const damaged = new Map<string, Buffer>([
      [jobFile, damage(jobFile, "truncated")],
      [paramsFile, damage(paramsFile, "garbled")],
      [dataFile, damage(dataFile, "garbled")],
      [servicesFile, damage(servicesFile, "emptied")],
      [betaFile, damage(betaFile, "truncated")],
    ]);
    const cli = (...args: string[]) =>
      runCli(args, { workspace: w.root, env: { LABRUN_RUNS: join(w.root, "runs") } });
    const named = (stderr: string) =>
      stderr.split("\n").flatMap((line) => {
        if (line.startsWith('{"warnings"'))
          return (JSON.parse(line) as { warnings: { file: string }[] }).warnings.map((x) => x.file);
        const match = /^warning (\S+): /.exec(line);
        return match ? [match[1]!] : [];
      });
    const listings: [string[], string[]][] = [
      [
        ["experiment", "list"],
        [jobFile, betaFile],
      ],
      [
        ["experiment", "list", "--json"],
        [jobFile, betaFile],
      ],
      // The copy's files have new inodes, so the index reads every file once more, job files included.
      [
        ["experiments", "list"],
        [jobFile, betaFile],
      ],
      [
        ["experiments", "resync"],
        [jobFile, betaFile],
      ],
      [["jobs", "list", "--json"], [jobFile]],
      [["runs", "list"], []],
      [
        ["runs", "show", w.named.prefix],
        [paramsFile, dataFile],
      ],
      [["runs", "metrics", w.named.prefix, "train"], [dataFile]],
      [
        ["experiment", "status", w.alpha.id],
        [jobFile, servicesFile],
      ],
      [["experiment", "logs", w.alpha.id], [jobFile]],
    ];
    for (const [args, files] of listings) {
      const result = cli(...args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
      expect(new Set(named(result.stderr)), args.join(" ")).toEqual(new Set(files));
    }
    expect(cli("experiment", "list").stdout).toContain(w.alpha.id);
    expect(cli("experiment", "logs", w.alpha.id, "eval").stdout).toContain("alpha eval done");

    const refusals: string[][] = [
      ["jobs", "show", basename(w.train).slice(0, 12)],
      ["experiment", "status", w.beta.id],
      ["experiment", "logs", w.alpha.id, "train"],
      ["experiment", "cancel", w.alpha.id, "--all"],
      ["log", "param", "lr=0.5", "--prefix", w.named.prefix],
    ];
    for (const args of refusals) {
      const result = cli(...args);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr, args.join(" ")).toMatch(/^error \[CORRUPT_RECORD\] \/\S+ cannot be read \(/);
      expect(result.stderr).not.toContain("    at "); // no stack
    }

    const ui = startCli(["ui", "--port", "0"], { workspace: w.root });
    try {
      const url = await waitFor(
        "the URL",
        () => /http:\/\/127\.0\.0\.1:\d+\//.exec(ui.output().stdout)?.[0],
        20_000,
      );
      const get = async (path: string) => {
        const response = await fetch(`${url}api/dashboard${path}`);
        return { status: response.status, body: (await response.json()) as Record<string, never> };
      };
      const experiments = await get("/experiments");
      expect(experiments.status).toBe(200);
      expect(experiments.body.experiments).toMatchObject([{ id: w.alpha.id }]);
      // alpha counts its damaged job as PENDING since the first listing, so the index reads it each time.
      expect(experiments.body.warnings).toEqual([
        { file: jobFile, problem: expect.any(String) },
        { file: betaFile, problem: expect.any(String) },
      ]);
      const alpha = await get(`/experiments/${w.alpha.id}`);
      expect(alpha.status).toBe(200);
      expect(
        (alpha.body.experiment as unknown as { warnings: { file: string }[] }).warnings.map((x) => x.file),
      ).toEqual([jobFile, servicesFile]);
      const beta = await get(`/experiments/${w.beta.id}`);
      expect(beta).toMatchObject({ status: 409, body: { error: { code: "CORRUPT_RECORD" } } });
      // The web app shows the warnings above its table (when this machine has Chromium to look).
      if (existsSync(chromiumPath)) {
        ensureDashboardBuilt();
        const { browser, close } = await launchChromium();
        try {
          const page = await browser.newPage();
          await page.goto(`${url}experiments`);
          await page.getByTestId("warnings").waitFor();
          const notice = await page.getByTestId("warnings").innerText();
          expect(notice).toContain("2 files could not be read");
          expect(notice).toContain(betaFile);
        } finally {
          await close();
        }
      }
      const run = await get(`/runs/${encodeURIComponent(`runs/${w.named.prefix}`)}`);
      expect(run.status).toBe(200);
      expect(
        new Set((run.body.run as unknown as { warnings: { file: string }[] }).warnings.map((x) => x.file)),
      ).toEqual(new Set([paramsFile, dataFile]));
    } finally {
      ui.child.kill("SIGINT");
      await ui.exited;
    }
    for (const [file, bytes] of damaged) expect(readFileSync(file).equals(bytes), file).toBe(true);
  });
});
