import type { StoredRun } from "../../store/store.js";

// The records MLflow's objects keep in `metadata.mlflow` of their labrun runs, apart from the code that reads
// them, so that MLflow's own experiments and runs and the project experiments can share them.

/** What the experiment's record run keeps in `metadata.mlflow`. */
export interface ExperimentRecord {
  readonly kind: "experiment";
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly lifecycleStage: "active" | "deleted";
  readonly creationTime: number;
  readonly lastUpdateTime: number;
}

/** What experiments/search and experiments/get show of an experiment, MLflow's own or a project's. */
export interface ExperimentView {
  readonly id: string;
  readonly record: ExperimentRecord;
  /** The prefix segment (= labrun project) of the experiment and of its runs. */
  readonly project: string;
}

/** An experiment MLflow created: its record is the run `mlflow/<name>`. */
export interface Experiment extends ExperimentView {
  readonly run: StoredRun;
}

/** What a run created through MLflow keeps in `metadata.mlflow`. */
export interface RunRecord {
  readonly kind: "run";
  readonly experimentId: string;
  readonly runName: string;
  readonly userId: string;
  readonly startTime: number;
  readonly endTime?: number;
  readonly tags: Readonly<Record<string, string>>;
  /** Set by runs/delete, removed by runs/restore (MLflow's lifecycle stage "deleted"). */
  readonly deletedTime?: number;
  /** log-inputs: datasets (MLflow's `DatasetInput` JSON, deduplicated by name + digest) and models. */
  readonly datasetInputs?: readonly DatasetInputJson[];
  readonly modelInputs?: readonly { readonly model_id: string }[];
  /** runs/outputs: the logged models this run produced. */
  readonly modelOutputs?: readonly { readonly model_id: string; readonly step: number }[];
}

/** MLflow's `DatasetInput` as the client sends it. */
export interface DatasetInputJson {
  readonly tags?: readonly { key: string; value: string }[];
  readonly dataset: {
    readonly name: string;
    readonly digest: string;
    readonly source_type: string;
    readonly source: string;
    readonly schema?: string | undefined;
    readonly profile?: string | undefined;
  };
}

export interface MlflowRun {
  readonly run: StoredRun;
  readonly record: RunRecord;
}
