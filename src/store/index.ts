export type * from "./store.js";
export { openStore, openServerStore, registerStoreScheme, sqlitePath } from "./open-store.js";
export type { OpenStoreOptions, StoreOpener } from "./open-store.js";
export { ValidatingStore, ValidatingServerStore } from "./validating-store.js";
export { storeLimits, runStatuses as storeRunStatuses, logLevels as storeLogLevels } from "./validate.js";
export { SqliteStore } from "./sqlite/sqlite-store.js";
export { HttpStore } from "./http/http-store.js";
export type { HttpStoreOptions, UploadOptions } from "./http/http-store.js";
