import type { Hono } from "hono";
import type { StoredFile } from "../../store/store.js";
import { checkFileName, normaliseFileFolder } from "../../format/names.js";
import type { Principal, ServerEnv } from "../auth.js";
import { sendJson, type ServerContext } from "../context.js";
import { MlflowRequestError } from "../../errors.js";
import { downloadResponse, storeUpload } from "../routes/files.js";
import { doesNotExist, invalidParameter } from "./mlflow-errors.js";
import { loadModel, modelsFolder } from "./mlflow-models.js";
import { loadMlflowRun } from "./mlflow-runs.js";
import { isMlflowRun, loadRunToRead } from "./mlflow-project-runs.js";
import { projectExperimentId } from "./mlflow-project-experiments.js";

const base = "/api/2.0/mlflow-artifacts/artifacts";

/** Splits `<exp>/<run>/artifacts/<path>` (the tail of an `mlflow-artifacts:/` URI). */
function parseArtifactPath(
  raw: string,
): { experimentId: string; path: string } & ({ runId: string } | { modelId: string }) {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw invalidParameter(`Invalid artifact path '${raw}'.`);
  }
  const parts = decoded.split("/").filter((part) => part.length > 0);
  if (parts.some((part) => part === ".." || part === "." || part.includes("\\") || part.includes("\0"))) {
    throw invalidParameter(`Invalid artifact path '${decoded}': it must not contain '..', '.' or '\\'.`);
  }
  if (parts[1] === modelsFolder && parts[3] === "artifacts") {
    return { experimentId: parts[0]!, modelId: parts[2]!, path: parts.slice(4).join("/") };
  }
  if (parts.length < 3 || parts[2] !== "artifacts") {
    throw invalidParameter(
      `Artifact path '${decoded}' is not <experiment_id>/<run_id>/artifacts/<path> or <experiment_id>/models/<model_id>/artifacts/<path>.`,
    );
  }
  return { experimentId: parts[0]!, runId: parts[1]!, path: parts.slice(3).join("/") };
}

/** MLflow's artifact proxy (`mlflow-artifacts:/` URIs): upload, download, list; files of the labrun run. */
export function mlflowArtifactRoutes(app: Hono<ServerEnv>, ctx: ServerContext): void {
  const { store } = ctx;

  // The labrun run holding the files: the MLflow run's, the logged model's (`<exp>/models/<id>/artifacts`),
  // or, to read, a labrun run of a project experiment.
  const load = async (principal: Principal, raw: string, write = false) => {
    const target = parseArtifactPath(raw);
    const found =
      "modelId" in target
        ? await loadModel(store, target.modelId, principal)
        : write
          ? await loadMlflowRun(store, target.runId, principal)
          : await loadRunToRead(store, target.runId, principal);
    const run = found.run;
    const experimentId = isMlflowRun(found)
      ? found.record.experimentId
      : projectExperimentId(run.owner, run.project);
    const id = "modelId" in target ? target.modelId : target.runId;
    if (experimentId !== target.experimentId) {
      throw doesNotExist(`${id} is not in experiment ${target.experimentId}.`);
    }
    return { path: target.path, id, run: { run } };
  };

  const tail = (path: string) => path.slice(base.length + 1);

  app.put(`${base}/*`, async (c) => {
    const principal = c.get("principal");
    if (principal.readOnly)
      throw new MlflowRequestError("PERMISSION_DENIED", "This token is read-only.", 403);
    const target = await load(principal, tail(c.req.path), true);
    const slash = target.path.lastIndexOf("/");
    const filename = checkFileName(target.path.slice(slash + 1));
    const folder = normaliseFileFolder(slash < 0 ? "" : target.path.slice(0, slash)).slice(1);
    await storeUpload(ctx, target.run.run.id, c.req.raw, {
      prefix: folder,
      filename,
      contentType: c.req.header("content-type") ?? "application/octet-stream",
    });
    return sendJson({});
  });

  app.get(base, async (c) => {
    const target = await load(c.get("principal"), c.req.query("path") ?? "");
    const files = await store.listFiles(target.run.run.id);
    const dir = target.path;
    const entries = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
    for (const file of files) {
      const full = pathOf(file);
      if (full === dir) {
        entries.set(file.filename, { path: file.filename, is_dir: false, file_size: file.size });
        continue;
      }
      if (dir !== "" && !full.startsWith(`${dir}/`)) continue;
      const rest = dir === "" ? full : full.slice(dir.length + 1);
      const [first, ...more] = rest.split("/");
      entries.set(
        first!,
        more.length > 0
          ? { path: first!, is_dir: true }
          : { path: first!, is_dir: false, file_size: file.size },
      );
    }
    return sendJson({ files: [...entries.values()].sort((a, b) => a.path.localeCompare(b.path)) });
  });

  app.get(`${base}/*`, async (c) => {
    const target = await load(c.get("principal"), tail(c.req.path));
    const file = newest(await store.listFiles(target.run.run.id), target.path);
    if (!file) throw doesNotExist(`No artifact '${target.path}' in ${target.id}.`);
    return downloadResponse(ctx, file, c.req.header("if-none-match"));
  });
}

const pathOf = (file: StoredFile) => (file.prefix ? `${file.prefix}/${file.filename}` : file.filename);

/** The last upload of an artifact path (an artifact logged twice is replaced, as in MLflow). */
function newest(files: readonly StoredFile[], path: string): StoredFile | undefined {
  let best: StoredFile | undefined;
  for (const file of files)
    if (pathOf(file) === path && (!best || file.createdAt >= best.createdAt)) best = file;
  return best;
}
