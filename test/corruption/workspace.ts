// The workspace the corruption matrix damages, built once: two experiments launched by the real CLI, a named
// run written through the tracking API, and the records the other parts of labrun leave beside them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Run } from "../../src/index.js";
import { buildInformations, writeInformations } from "../../src/experiment/informations.js";
import { writeServicesRecord } from "../../src/experiment/services/services-record.js";
import type { Service } from "../../src/experiment/services/service.js";
import { experimentsListCommand } from "../../src/cli/commands/experiments-commands.js";
import { repoRoot, runCli } from "../helpers.js";

/** Where everything of the built workspace lies. */
export interface BuiltWorkspace {
  readonly root: string;
  readonly alpha: { readonly id: string; readonly dir: string };
  readonly beta: { readonly id: string; readonly dir: string };
  /** The job dirs of alpha's jobs and beta's. */
  readonly train: string;
  readonly evalJob: string;
  readonly solo: string;
  /** The prefixes of the train job's run and of the named run under `<root>/runs`. */
  readonly trainPrefix: string;
  readonly named: { readonly prefix: string; readonly dir: string };
}

const fixture = join(repoRoot, "test", "fixtures", "experiments", "corruption-base.ts");
export const namedPrefix = "alice/proj/named";

export async function buildWorkspace(root: string): Promise<BuiltWorkspace> {
  const launched = runCli(["run", fixture], { workspace: root });
  if (launched.code !== 0) throw new Error(`the base experiments failed: ${launched.stderr}`);
  const experiment = (title: string) => {
    const id = readdirSync(join(root, "experiments", title))[0]!;
    return { id, dir: join(root, "experiments", title, id) };
  };
  const alpha = experiment("alpha");
  const beta = experiment("beta");
  const jobDir = (exp: { dir: string }, name: string) => {
    const record = JSON.parse(readFileSync(join(exp.dir, "experiment.json"), "utf8")) as {
      jobs: { name: string; dir: string }[];
    };
    return join(root, record.jobs.find((job) => job.name === name)!.dir);
  };
  const train = jobDir(alpha, "train");
  const trainRecord = JSON.parse(readFileSync(join(train, "run", "experiment.json"), "utf8")) as {
    prefix: string;
  };

  const run = new Run({ prefix: namedPrefix, root: join(root, "runs") });
  run.params.set({ lr: 0.001, model: { depth: 50 } });
  for (let step = 0; step < 5; step++) run.metrics("train").log({ loss: 1 / (step + 1), step });
  for (let i = 0; i < 5; i++) run.log(`message ${i}`, { level: i === 3 ? "warn" : "info" });
  for (let t = 0; t < 5; t++) run.tracks("robot/pos").append({ _ts: t, x: t / 10 });
  await run.files("models").save(Buffer.from("weights"), { name: "model.bin" });
  await run.complete();

  // What a YAML experiment and a service leave in the experiment's folder, through the code that writes them.
  writeInformations(
    alpha.dir,
    buildInformations({
      id: "alpha",
      experimentId: alpha.id,
      title: "alpha",
      subtitle: "",
      description: "",
      paper: "",
      git: null,
      startedAt: new Date().toISOString(),
      runMode: "NORMAL",
      experimentFile: fixture,
      yamlFiles: [],
      overrides: [],
      configuration: { lr: 0.01 },
    }),
  );
  const board = { id: "board", state: "STOPPED", description: () => "a board" } as unknown as Service;
  writeServicesRecord(alpha.dir, [board]);
  // The index, as the first listing leaves it.
  const quiet = process.stdout.write;
  process.stdout.write = () => true;
  try {
    experimentsListCommand({}, { workspace: root });
  } finally {
    process.stdout.write = quiet;
  }
  return {
    root,
    alpha,
    beta,
    train,
    evalJob: jobDir(alpha, "eval"),
    solo: jobDir(beta, "solo"),
    trainPrefix: trainRecord.prefix,
    named: { prefix: namedPrefix, dir: join(root, "runs", namedPrefix) },
  };
}
