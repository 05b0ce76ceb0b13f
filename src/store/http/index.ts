export { HttpStore } from "./http-store.js";
export type { HttpStoreOptions, UploadOptions } from "./http-store.js";
export { HttpClient, isRetryable } from "./http-client.js";
export type { HttpClientOptions, RequestOptions } from "./http-client.js";
export { rebuildError } from "./rebuild-error.js";
