export { WorkspaceIndex, indexFileName, isBusyIndexError, isDamagedIndexError } from "./workspace-index.js";
export type { IndexOpenOptions } from "./workspace-index.js";
export { readWorkspace, syncExperiment, syncIndex } from "./index-sync.js";
export type { ExperimentFileContent, IndexReader, JobFileContent, SyncReport } from "./index-sync.js";
export { NewerIndexError, schemaVersion } from "./migrations.js";
export { countJobs, indexedJobStates, isFinalJobState } from "./index-records.js";
export type {
  ExperimentFilter,
  ExperimentListing,
  ExperimentStateRule,
  IndexedExperiment,
  IndexedJob,
  IndexedJobState,
  JobCounts,
} from "./index-records.js";
export { fileStamp } from "./file-stamp.js";
