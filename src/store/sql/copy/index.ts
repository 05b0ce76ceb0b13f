export {
  copiedTables,
  listTables,
  openCopyDatabase,
  openCopySource,
  redactUri,
  uncopiedTables,
  type CopyDatabase,
  type CopySource,
} from "./copy-databases.js";
export {
  copyDatabase,
  type CopyDatabaseOptions,
  type CopyDatabaseResult,
  type CopyProgress,
} from "./copy-database.js";
export {
  compareDatabases,
  fileRecords,
  type CopyComparison,
  type CopyTotals,
  type FileRecord,
} from "./compare-databases.js";
export type { Row } from "./copy-rows.js";
