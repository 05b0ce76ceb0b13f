import { createHash } from "node:crypto";
import { MlflowRequestError } from "../../errors.js";
import type { Store, StoredRun } from "../../store/store.js";
import { checkProject, type Principal } from "../auth.js";
import { doesNotExist } from "./mlflow-errors.js";
import type { ExperimentRecord, ExperimentView } from "./mlflow-records.js";
import { mlflowOwner } from "./mlflow-names.js";

/** The first segment of every project experiment's name: `labrun/<owner>/<project>`. */
export const projectExperimentRoot = "labrun";

/**
 * The read-only MLflow experiment of one labrun project (every run under `<owner>/<project>/` that MLflow did
 * not create). It has no record of its own: its times are those of its runs.
 */
export interface ProjectExperiment extends ExperimentView {
  readonly owner: string;
  /** `<owner>/<project>`, the prefix of its runs. */
  readonly prefix: string;
}

/**
 * The id of a project experiment: `lr-` and 24 hex digits of SHA-256 of `<owner>/<project>`. MLflow's own
 * experiment ids here are labrun run ids (32 hex digits) or `0`, which have no `-`: the two never meet.
 */
export function projectExperimentId(owner: string, project: string): string {
  return `lr-${createHash("sha256").update(`${owner}/${project}`).digest("hex").slice(0, 24)}`;
}

export const isProjectExperimentId = (id: string): boolean => /^lr-[0-9a-f]{24}$/.test(id);

/** `labrun/<owner>/<project>` → its owner and project (segments never hold `/`). */
export function parseProjectExperimentName(name: string): { owner: string; project: string } | undefined {
  const parts = name.split("/");
  if (parts.length !== 3 || parts[0] !== projectExperimentRoot || !parts[1] || !parts[2]) return undefined;
  return { owner: parts[1], project: parts[2] };
}

/** True for a labrun run seen through a project experiment: not under `mlflow/` (MLflow's own runs). */
export const isProjectRun = (run: StoredRun): boolean => run.owner !== mlflowOwner;

function experimentOf(owner: string, project: string, runs: readonly StoredRun[]): ProjectExperiment {
  const times = runs.map((run) => [Date.parse(run.createdAt), Date.parse(run.updatedAt)] as const);
  const record: ExperimentRecord = {
    kind: "experiment",
    name: `${projectExperimentRoot}/${owner}/${project}`,
    tags: {
      "mlflow.note.content": `The runs of labrun project ${owner}/${project}, read-only through MLflow's API.`,
      "labrun.owner": owner,
      "labrun.project": project,
    },
    lifecycleStage: "active",
    creationTime: Math.min(...times.map(([created]) => created)),
    lastUpdateTime: Math.max(...times.map(([, updated]) => updated)),
  };
  return { id: projectExperimentId(owner, project), record, project, owner, prefix: `${owner}/${project}` };
}

/** The error of a write aimed at a project experiment or one of its runs. */
export function readOnlyError(what: string, experimentName: string): MlflowRequestError {
  return new MlflowRequestError(
    "INVALID_STATE",
    `${what} belongs to '${experimentName}', a labrun project that MLflow's API shows read-only. ` +
      "Write to it with labrun's SDK or HTTP API (/api/runs), or log with MLflow to an experiment of its own " +
      "(mlflow.set_experiment).",
    400,
  );
}

/**
 * The project experiments: one per `<owner>/<project>` holding at least one run. Found by reading the runs
 * (the store keeps no list of projects); an id seen once is remembered, so looking it up again reads only
 * that project's runs.
 */
export class ProjectExperiments {
  private readonly known = new Map<string, { owner: string; project: string }>();

  constructor(private readonly store: Store) {}

  /** Every project experiment the caller may see, in the order of their first run. */
  async list(principal: Principal): Promise<ProjectExperiment[]> {
    const groups = new Map<string, StoredRun[]>();
    for await (const run of this.runs({
      ...(principal.project !== "*" ? { project: principal.project } : {}),
    })) {
      if (!isProjectRun(run)) continue;
      const key = `${run.owner}/${run.project}`;
      const group = groups.get(key);
      if (group) group.push(run);
      else groups.set(key, [run]);
    }
    return [...groups.values()].map((runs) => this.remember(runs[0]!.owner, runs[0]!.project, runs));
  }

  /** The project experiment of that name, when the project has runs (after the project check). */
  async byName(name: string, principal: Principal): Promise<ProjectExperiment | undefined> {
    const parsed = parseProjectExperimentName(name);
    if (!parsed || parsed.owner === mlflowOwner) return undefined;
    checkProject(principal, parsed.project);
    return this.load(parsed.owner, parsed.project);
  }

  async byId(id: string, principal: Principal): Promise<ProjectExperiment> {
    let where = this.known.get(id);
    if (!where) {
      // Not seen by this server yet (another replica gave the id, or a restart): find it among all runs.
      for (const experiment of await this.list({ id: "mlflow-catalog", project: "*", readOnly: true }))
        if (experiment.id === id) where = experiment;
    }
    const experiment = where && (await this.load(where.owner, where.project));
    if (!experiment) throw doesNotExist(`No experiment with id ${id}.`);
    checkProject(principal, experiment.project);
    return experiment;
  }

  /** The experiment of a run (no store read). */
  ofRun(run: StoredRun): { id: string; name: string } {
    this.known.set(projectExperimentId(run.owner, run.project), { owner: run.owner, project: run.project });
    return {
      id: projectExperimentId(run.owner, run.project),
      name: `${projectExperimentRoot}/${run.owner}/${run.project}`,
    };
  }

  private async load(owner: string, project: string): Promise<ProjectExperiment | undefined> {
    const runs: StoredRun[] = [];
    for await (const run of this.runs({ prefix: `${owner}/${project}` })) runs.push(run);
    return runs.length > 0 ? this.remember(owner, project, runs) : undefined;
  }

  private remember(owner: string, project: string, runs: readonly StoredRun[]): ProjectExperiment {
    const experiment = experimentOf(owner, project, runs);
    if (this.known.size > 100_000) this.known.clear();
    this.known.set(experiment.id, { owner, project });
    return experiment;
  }

  private async *runs(query: { prefix?: string; project?: string }): AsyncGenerator<StoredRun> {
    let cursor: string | undefined;
    do {
      const page = await this.store.searchRuns({
        ...query,
        limit: 1000,
        latestMetrics: false,
        ...(cursor ? { cursor } : {}),
      });
      yield* page.runs;
      cursor = page.nextCursor;
    } while (cursor);
  }
}
