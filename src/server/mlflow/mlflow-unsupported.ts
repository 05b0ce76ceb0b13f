import type { Hono } from "hono";
import { MlflowRequestError } from "../../errors.js";
import type { ServerEnv } from "../auth.js";

/** MLflow API families labrun leaves out on purpose, each answered 501 NOT_IMPLEMENTED saying so. */
const unsupported: readonly (readonly [string, string])[] = [
  ["/api/2.0/mlflow/registered-models/*", "the model registry (registered models)"],
  ["/api/2.0/mlflow/model-versions/*", "the model registry (model versions)"],
  ["/api/2.0/mlflow/traces/*", "traces"],
  ["/api/3.0/mlflow/traces/*", "traces"],
  ["/api/3.0/mlflow/traces", "traces"],
  ["/api/2.0/mlflow/datasets/*", "evaluation datasets"],
  ["/api/2.0/mlflow/scorers/*", "scorers"],
  ["/api/2.0/mlflow/webhooks/*", "webhooks"],
  [
    "/api/2.0/mlflow/logged-models/:id/artifacts/directories",
    "listing model artifacts through logged-models (list them through mlflow-artifacts)",
  ],
  ["/api/2.0/mlflow-artifacts/mpu/*", "multipart artifact uploads"],
];

/** Registered after every supported route, so only what labrun does not serve reaches these. */
export function mlflowUnsupportedRoutes(app: Hono<ServerEnv>): void {
  for (const [path, what] of unsupported) {
    app.all(path, () => {
      throw new MlflowRequestError(
        "NOT_IMPLEMENTED",
        `labrun's MLflow API does not support ${what}. See docs/mlflow.md for what is supported.`,
        501,
      );
    });
  }
}
