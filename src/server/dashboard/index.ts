export { dashboardApp } from "./dashboard-app.js";
export type { DashboardAppOptions } from "./dashboard-app.js";
export type * from "./dashboard-source.js";
export { RunsRootSource, WorkspaceSource } from "./workspace-source.js";
export { startDashboard } from "./start-dashboard.js";
export type { DashboardServer, StartDashboardOptions } from "./start-dashboard.js";
export { assetsBuilt, defaultAssetsDir } from "./static-assets.js";
export { dashboardApi, mountDashboard } from "./dashboard-app.js";
export { StoreSource } from "./store-source.js";
