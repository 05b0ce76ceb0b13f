import type { JsonValue } from "../../format/json-codec.js";
import type { Store, StoredRun } from "../../store/store.js";
import { checkProject, type Principal } from "../auth.js";
import { setRunMetadata } from "../run-metadata.js";
import type { Experiment, ExperimentRecord, ExperimentView } from "./mlflow-records.js";

export type { Experiment, ExperimentRecord, ExperimentView } from "./mlflow-records.js";
import { doesNotExist } from "./mlflow-errors.js";
import { MlflowRequestError } from "../../errors.js";
import { defaultExperimentId, defaultExperimentName, mlflowOwner, nameSegment } from "./mlflow-names.js";
import {
  isProjectExperimentId,
  projectExperimentRoot,
  ProjectExperiments,
  readOnlyError,
  type ProjectExperiment,
} from "./mlflow-project-experiments.js";

/** The labrun tag of the run that records an MLflow experiment (`mlflow/<experiment>`). */
export const experimentTag = "mlflow-experiment";

export function mlflowMetadata(run: StoredRun): Record<string, JsonValue> | undefined {
  const value = run.metadata.mlflow;
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, JsonValue>)
    : undefined;
}

/** Replaces `metadata.mlflow` of a run; a finished run keeps its final status. */
export async function replaceMlflowMetadata(
  store: Store,
  stored: StoredRun,
  value: unknown,
  description?: string,
): Promise<StoredRun> {
  return setRunMetadata(store, stored, "mlflow", value, description);
}

function asExperiment(run: StoredRun): Experiment | undefined {
  const meta = mlflowMetadata(run);
  if (meta?.kind !== "experiment" || run.deleted) return undefined;
  const record = meta as unknown as ExperimentRecord;
  const id = record.name === defaultExperimentName ? defaultExperimentId : run.id;
  return { id, run, record, project: run.project };
}

/** MLflow's JSON of an experiment. */
export function experimentJson(experiment: ExperimentView): Record<string, unknown> {
  return {
    experiment_id: experiment.id,
    name: experiment.record.name,
    artifact_location: `mlflow-artifacts:/${experiment.id}`,
    lifecycle_stage: experiment.record.lifecycleStage,
    creation_time: experiment.record.creationTime,
    last_update_time: experiment.record.lastUpdateTime,
    tags: Object.entries(experiment.record.tags).map(([key, value]) => ({ key, value })),
  };
}

/** Names `labrun/…` belong to the project experiments: MLflow cannot create or rename one to such a name. */
export function checkNotProjectName(name: string): void {
  if (name.startsWith(`${projectExperimentRoot}/`)) {
    throw new MlflowRequestError(
      "INVALID_PARAMETER_VALUE",
      `Experiment names starting with '${projectExperimentRoot}/' name labrun projects (read-only): pick another name.`,
      400,
    );
  }
}

/** Reads every project and never writes (not even Default's record): the catalog's own look-ups. */
const allExperimentsReader: Principal = Object.freeze({ id: "mlflow-catalog", project: "*", readOnly: true });

/**
 * MLflow experiments kept as labrun runs: experiment `name` is the run `mlflow/<name>` (tagged
 * `mlflow-experiment`, its record in metadata), and its runs are `mlflow/<name>/<run>`. Experiment "0"
 * (Default) is created on first use; every other id is the record run's id. Beside them, each labrun project
 * is a read-only experiment `labrun/<owner>/<project>` (`projects`).
 */
export class ExperimentCatalog {
  readonly projects: ProjectExperiments;

  constructor(private readonly store: Store) {
    this.projects = new ProjectExperiments(store);
  }

  /** For reads: an MLflow experiment or a project's. */
  async find(id: string, principal: Principal): Promise<Experiment | ProjectExperiment> {
    return isProjectExperimentId(id) ? this.projects.byId(id, principal) : this.byId(id, principal);
  }

  /** For reads, by name: an MLflow experiment or a project's (`labrun/<owner>/<project>`). */
  async findByName(name: string, principal: Principal): Promise<Experiment | ProjectExperiment | undefined> {
    return (await this.byName(name, principal)) ?? (await this.projects.byName(name, principal));
  }

  prefixOf(name: string): string {
    return `${mlflowOwner}/${nameSegment(name)}`;
  }

  async byName(name: string, principal: Principal): Promise<Experiment | undefined> {
    if (name === defaultExperimentName) return this.default(principal);
    const run = await this.store.getRunByPrefix(this.prefixOf(name));
    let experiment = run && asExperiment(run);
    // A renamed experiment keeps its first project (prefix): look for its new name among the records.
    if (!experiment || experiment.record.name !== name) {
      experiment = (await this.listMlflow(allExperimentsReader)).find(
        (candidate) => candidate.record.name === name,
      );
    }
    if (experiment) checkProject(principal, experiment.project);
    return experiment;
  }

  /** Replaces the experiment's record (rename, tags, lifecycle), stamping its update time. */
  async save(experiment: Experiment, changes: Partial<ExperimentRecord>): Promise<Experiment> {
    const record: ExperimentRecord = { ...experiment.record, ...changes, lastUpdateTime: Date.now() };
    const run = await replaceMlflowMetadata(this.store, experiment.run, record);
    return { ...experiment, run, record };
  }

  /** An experiment MLflow created (to write to it: a project experiment is refused, read-only). */
  async byId(id: string, principal: Principal): Promise<Experiment> {
    if (isProjectExperimentId(id)) {
      const project = await this.projects.byId(id, principal);
      throw readOnlyError(`Experiment ${id}`, project.record.name);
    }
    const run =
      id === defaultExperimentId ? undefined : id.length <= 200 ? await this.store.getRun(id) : undefined;
    const experiment = id === defaultExperimentId ? await this.default(principal) : run && asExperiment(run);
    if (!experiment) throw doesNotExist(`No experiment with id ${id}. Create it with experiments/create.`);
    checkProject(principal, experiment.project);
    return experiment;
  }

  async create(
    name: string,
    tags: Readonly<Record<string, string>>,
    principal: Principal,
  ): Promise<Experiment> {
    checkNotProjectName(name);
    checkProject(principal, nameSegment(name));
    const existing = await this.store.getRunByPrefix(this.prefixOf(name));
    const holder = existing && asExperiment(existing);
    if (holder) {
      throw new MlflowRequestError(
        "RESOURCE_ALREADY_EXISTS",
        holder.record.name === name
          ? `Experiment '${name}' already exists${holder.record.lifecycleStage === "deleted" ? " (deleted: restore it with experiments/restore)" : ""}.`
          : `Experiment '${name}' cannot be created: its project is still held by experiment '${holder.record.name}' (renamed from it). Pick another name.`,
        400,
      );
    }
    if (name !== defaultExperimentName && (await this.byName(name, principal))) {
      throw new MlflowRequestError("RESOURCE_ALREADY_EXISTS", `Experiment '${name}' already exists.`, 400);
    }
    const now = Date.now();
    const record: ExperimentRecord = {
      kind: "experiment",
      name,
      tags,
      lifecycleStage: "active",
      creationTime: now,
      lastUpdateTime: now,
    };
    const run = await this.store.upsertRun({
      prefix: this.prefixOf(name),
      description: `MLflow experiment ${name}`,
      tags: [experimentTag],
      metadata: { mlflow: record as unknown as JsonValue },
    });
    if (run.status === "RUNNING") {
      await this.store.updateRun(run.id, { status: { status: "COMPLETED" } });
    }
    return asExperiment(run)!;
  }

  /** Experiment "0"; created when first asked for by a token that may write (undefined otherwise). */
  async default(principal: Principal): Promise<Experiment | undefined> {
    const run = await this.store.getRunByPrefix(this.prefixOf(defaultExperimentName));
    const found = run && asExperiment(run);
    if (found) {
      checkProject(principal, found.project);
      return found;
    }
    // A read-only token never writes, not even the Default experiment's record.
    return principal.readOnly ? undefined : this.create(defaultExperimentName, {}, principal);
  }

  /** Every experiment the caller may see: Default first, MLflow's, then the projects'. */
  async list(principal: Principal): Promise<ExperimentView[]> {
    return [...(await this.listMlflow(principal)), ...(await this.projects.list(principal))];
  }

  /** The experiments MLflow created that the caller may see (Default first). */
  async listMlflow(principal: Principal): Promise<Experiment[]> {
    const out: Experiment[] = [];
    if (principal.project === "*" || principal.project === defaultExperimentName) {
      const found = await this.default(principal);
      if (found) out.push(found);
    }
    let cursor: string | undefined;
    do {
      const page = await this.store.searchRuns({
        prefix: mlflowOwner,
        tag: experimentTag,
        ...(principal.project !== "*" ? { project: principal.project } : {}),
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const run of page.runs) {
        const experiment = asExperiment(run);
        if (experiment && experiment.id !== defaultExperimentId) out.push(experiment);
      }
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }
}
