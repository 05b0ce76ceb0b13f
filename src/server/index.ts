export { createServer } from "./create-server.js";
export type { LabrunServer } from "./create-server.js";
export type { ListenOptions, RunningServer } from "./listen.js";
export { defaultLimits } from "./options.js";
export type { ServerLimits, ServerOptions } from "./options.js";
export type { Principal, TokenGrant, TokenVerifier } from "./auth.js";
export { statusOfCode } from "./error-mapper.js";
export type { ErrorBody } from "./error-mapper.js";
export { openApiDocument } from "./openapi.js";
export { RunEvents } from "./events.js";
export type { EventBus, EventPosition, RunEvent } from "./events.js";
export { SharedRunEvents, eventsFor } from "./shared-events.js";
export type { FileStorage, PutOptions, StoredBlob } from "./files/file-storage.js";
export { LocalFileStorage } from "./files/local-file-storage.js";
export { S3FileStorage, type S3FileStorageOptions } from "./files/s3-file-storage.js";
export type { S3Location } from "./files/s3-location.js";
export type { DownloadUrlOptions } from "./files/file-storage.js";
export { startServer } from "./start-server.js";
export type { StartServerOptions, StartedServer } from "./start-server.js";
export {
  StoreSource,
  WorkspaceSource,
  dashboardApi,
  dashboardApp,
  mountDashboard,
  startDashboard,
} from "./dashboard/index.js";
export type { DashboardServer, DashboardSource, StartDashboardOptions } from "./dashboard/index.js";
