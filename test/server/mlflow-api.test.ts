import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inProcessServer, type InProcessServer } from "./helpers.js";

// MLflow's REST API in-process (the real mlflow client runs in mlflow-client.test.ts): searches, limits,
// errors and artifact paths that the client's happy path does not reach.
describe("MLflow REST API", () => {
  let s: InProcessServer;
  const base = "/api/2.0/mlflow";
  const post = (path: string, body: unknown, token?: string) =>
    s.json("POST", `${base}/${path}`, body, { token: token ?? s.tokens.admin });
  const get = (path: string, token?: string) =>
    s.json("GET", `${base}/${path}`, undefined, { token: token ?? s.tokens.admin });

  beforeEach(async () => {
    s = await inProcessServer();
  });
  afterEach(async () => {
    await s.close();
  });

  const newRun = async (
    experimentId: string,
    name: string,
    params: Record<string, string>,
    loss: number,
    status?: string,
  ) => {
    const run = (
      await post("runs/create", { experiment_id: experimentId, run_name: name, start_time: Date.now() })
    ).body.run;
    await post("runs/log-batch", {
      run_id: run.info.run_id,
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      metrics: [{ key: "loss", value: loss, timestamp: Date.now(), step: 1 }],
      tags: [{ key: "owner", value: name.toUpperCase() }],
    });
    if (status) await post("runs/update", { run_id: run.info.run_id, status, end_time: Date.now() });
    return run.info.run_id as string;
  };

  it("creates experiments, refuses a duplicate name, finds them by name, id and search", async () => {
    const { body } = await post("experiments/create", {
      name: "vision",
      tags: [{ key: "team", value: "cv" }],
    });
    const id = body.experiment_id as string;
    const duplicate = await post("experiments/create", { name: "vision" });
    expect(duplicate).toEqual({
      status: 400,
      body: { error_code: "RESOURCE_ALREADY_EXISTS", message: expect.any(String) },
    });
    expect((await get("experiments/get-by-name?experiment_name=vision")).body.experiment).toMatchObject({
      experiment_id: id,
      name: "vision",
      artifact_location: `mlflow-artifacts:/${id}`,
      tags: [{ key: "team", value: "cv" }],
    });
    await post("experiments/create", { name: "nlp" });
    const all = (await post("experiments/search", { max_results: 10 })).body.experiments.map(
      (e: any) => e.name,
    );
    expect(all.sort()).toEqual(["Default", "nlp", "vision"]);
    const like = (await post("experiments/search", { filter: "name LIKE 'vis%'" })).body.experiments.map(
      (e: any) => e.name,
    );
    expect(like).toEqual(["vision"]);
    const page = await post("experiments/search", { max_results: 2 });
    expect(page.body.experiments).toHaveLength(2);
    const rest = await post("experiments/search", { max_results: 2, page_token: page.body.next_page_token });
    expect(rest.body.experiments).toHaveLength(1);
    expect(rest.body.next_page_token).toBeUndefined();
  });

  it("searches runs by params, metrics, tags and status, ordered and paged", async () => {
    const id = (await post("experiments/create", { name: "sweep" })).body.experiment_id;
    await newRun(id, "a", { lr: "0.1" }, 0.5, "FINISHED");
    await newRun(id, "b", { lr: "0.01" }, 0.2, "FINISHED");
    await newRun(id, "c", { lr: "0.01" }, 0.9);
    const search = async (body: object) =>
      (await post("runs/search", { experiment_ids: [id], ...body })).body.runs.map(
        (r: any) => r.info.run_name,
      );
    expect(await search({ filter: "params.lr = '0.01'", order_by: ["attributes.run_name ASC"] })).toEqual([
      "b",
      "c",
    ]);
    expect(await search({ filter: "metrics.loss < 0.6", order_by: ["metrics.loss ASC"] })).toEqual([
      "b",
      "a",
    ]);
    expect(await search({ filter: "attributes.status = 'FINISHED' AND tags.owner = 'A'" })).toEqual(["a"]);
    expect(await search({ filter: "params.lr = '0.01'", order_by: ["metrics.loss DESC"] })).toEqual([
      "c",
      "b",
    ]);
    const first = await post("runs/search", {
      experiment_ids: [id],
      max_results: 2,
      order_by: ["attributes.run_name ASC"],
    });
    expect(first.body.runs.map((r: any) => r.info.run_name)).toEqual(["a", "b"]);
    const second = await post("runs/search", {
      experiment_ids: [id],
      max_results: 2,
      order_by: ["attributes.run_name ASC"],
      page_token: first.body.next_page_token,
    });
    expect(second.body.runs.map((r: any) => r.info.run_name)).toEqual(["c"]);
    const unsupported = await post("runs/search", {
      experiment_ids: [id],
      filter: "params.lr = 'a' OR params.lr = 'b'",
    });
    expect(unsupported.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    expect(unsupported.body.message).toContain("joined by AND");
  });

  it("filters with IN, NOT IN, IS NULL, IS NOT NULL, ILIKE, quoted keys and values holding ' AND '", async () => {
    const id = (await post("experiments/create", { name: "filters" })).body.experiment_id;
    const a = await newRun(id, "a", { lr: "0.1", note: "x AND y" }, 0.5, "FINISHED");
    await newRun(id, "b", { lr: "0.01" }, 0.2, "FAILED");
    await newRun(id, "c", {}, 0.9);
    const search = async (filter: string) => {
      const response = await post("runs/search", {
        experiment_ids: [id],
        filter,
        order_by: ["attributes.run_name ASC"],
      });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return response.body.runs.map((r: any) => r.info.run_name);
    };
    expect(await search(`attributes.run_id IN ('${a}', 'nope')`)).toEqual(["a"]);
    expect(await search(`attributes.run_id NOT IN ("${a}")`)).toEqual(["b", "c"]);
    expect(await search("attributes.status IN ('FINISHED', 'FAILED')")).toEqual(["a", "b"]);
    expect(await search("params.lr IS NULL")).toEqual(["c"]);
    expect(await search("params.lr IS NOT NULL AND metrics.loss >= 0.5")).toEqual(["a"]);
    expect(await search("params.note = 'x AND y'")).toEqual(["a"]);
    expect(await search("params.`lr` NOT IN ('0.1')")).toEqual(["b"]);
    expect(await search("tags.owner ILIKE 'b'")).toEqual(["b"]);
    expect(await search("tags.owner LIKE 'b'")).toEqual([]);
    expect(await search("metrics.loss IN (0.2)")).toEqual(["b"]);
    for (const bad of [
      "params.lr IN 'a'",
      "params.lr IS 'x'",
      "params.lr ~ 'a'",
      "foo.lr = 'a'",
      "params.lr = 'a",
    ]) {
      const response = await post("runs/search", { experiment_ids: [id], filter: bad });
      expect(response, bad).toMatchObject({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE" } });
    }
  });

  it("orders experiments (order_by) and lists deleted ones only with DELETED_ONLY or ALL", async () => {
    const b = (await post("experiments/create", { name: "b-exp" })).body.experiment_id;
    await post("experiments/create", { name: "a-exp" });
    const names = async (body: object) =>
      (await post("experiments/search", body)).body.experiments.map((e: any) => e.name);
    expect(await names({ order_by: ["name ASC"], filter: "name LIKE '%-exp'" })).toEqual(["a-exp", "b-exp"]);
    expect(await names({ order_by: ["name DESC"], filter: "name LIKE '%-exp'" })).toEqual(["b-exp", "a-exp"]);
    expect((await post("experiments/delete", { experiment_id: b })).status).toBe(200);
    expect(await names({ filter: "name LIKE '%-exp'" })).toEqual(["a-exp"]);
    const intoDeleted = await post("runs/create", { experiment_id: b });
    expect(intoDeleted).toMatchObject({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE" } });
    expect(intoDeleted.body.message).toContain("restore");
    expect(await names({ view_type: "DELETED_ONLY" })).toEqual(["b-exp"]);
    expect(await names({ view_type: "ALL", order_by: ["name"], filter: "name LIKE '%-exp'" })).toEqual([
      "a-exp",
      "b-exp",
    ]);
    expect((await post("experiments/search", { order_by: ["bogus"] })).body.error_code).toBe(
      "INVALID_PARAMETER_VALUE",
    );
    const again = await post("experiments/create", { name: "b-exp" });
    expect(again).toMatchObject({ status: 400, body: { error_code: "RESOURCE_ALREADY_EXISTS" } });
    expect(again.body.message).toContain("restore");
    expect((await post("experiments/delete", { experiment_id: "0" })).body.error_code).toBe(
      "INVALID_PARAMETER_VALUE",
    );
  });

  it("keeps logged models: create, tags, params, metrics by model_id, finalize, search, delete", async () => {
    const exp = (await post("experiments/create", { name: "models" })).body.experiment_id;
    const runId = await newRun(exp, "train", {}, 1);
    const created = await post("logged-models", {
      experiment_id: exp,
      name: "net",
      source_run_id: runId,
      params: [{ key: "depth", value: "3" }],
      tags: [{ key: "stage", value: "dev" }],
    });
    expect(created.status).toBe(200);
    const id = created.body.model.info.model_id as string;
    expect(created.body.model.info).toMatchObject({
      name: "net",
      status: "LOGGED_MODEL_PENDING",
      source_run_id: runId,
      artifact_uri: `mlflow-artifacts:/${exp}/models/${id}/artifacts`,
    });
    const patch = (path: string, body: unknown) =>
      s.json("PATCH", `${base}/${path}`, body, { token: s.tokens.admin });
    const del = (path: string) => s.json("DELETE", `${base}/${path}`, undefined, { token: s.tokens.admin });
    expect((await patch(`logged-models/${id}/tags`, { tags: [{ key: "owner", value: "me" }] })).status).toBe(
      200,
    );
    expect((await del(`logged-models/${id}/tags/stage`)).status).toBe(200);
    expect((await del(`logged-models/${id}/tags/stage`)).body.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    expect(
      (await post(`logged-models/${id}/params`, { params: [{ key: "width", value: "8" }] })).status,
    ).toBe(200);
    await post("runs/log-batch", {
      run_id: runId,
      metrics: [{ key: "acc", value: 0.75, timestamp: 1700000000000, step: 2, model_id: id }],
    });
    const ready = await patch(`logged-models/${id}`, { model_id: id, status: "LOGGED_MODEL_READY" });
    expect(ready.body.model.info.status).toBe("LOGGED_MODEL_READY");
    expect(ready.body.model.info.tags).toEqual([{ key: "owner", value: "me" }]);
    expect(ready.body.model.data.params).toEqual([
      { key: "depth", value: "3" },
      { key: "width", value: "8" },
    ]);
    expect(ready.body.model.data.metrics).toEqual([
      { key: "acc", value: 0.75, timestamp: 1700000000000, step: 2, model_id: id, run_id: runId },
    ]);
    const search = async (filter: string) =>
      (await post("logged-models/search", { experiment_ids: [exp], filter })).body.models.map(
        (m: any) => m.info.model_id,
      );
    expect(await search("tags.owner = 'me' AND metrics.acc > 0.5 AND params.depth IN ('3')")).toEqual([id]);
    expect(await search("name != 'net'")).toEqual([]);
    // Tokens: another project's token cannot read the model or its files; a read-only one cannot write.
    expect((await get(`logged-models/${id}`, s.tokens.vision)).status).toBe(403);
    const otherFiles = await s.json(
      "GET",
      `/api/2.0/mlflow-artifacts/artifacts?path=${exp}/models/${id}/artifacts`,
      undefined,
      { token: s.tokens.vision },
    );
    expect(otherFiles.status).toBe(403);
    const visionExp = (await post("experiments/create", { name: "vision" })).body.experiment_id;
    const readOnly = await post("logged-models", { experiment_id: visionExp }, s.tokens.visionRead);
    expect(readOnly).toMatchObject({ status: 403, body: { error_code: "PERMISSION_DENIED" } });
    expect((await del(`logged-models/${id}`)).status).toBe(200);
    expect((await get(`logged-models/${id}`)).status).toBe(404);
    expect((await get(`logged-models/${id}?allow_deleted=true`)).body.model.info.model_id).toBe(id);
    expect(await search("name = 'net'")).toEqual([]);
    // Experiment tags: set, then delete.
    await post("experiments/set-experiment-tag", { experiment_id: exp, key: "k", value: "v" });
    await post("experiments/delete-experiment-tag", { experiment_id: exp, key: "k" });
    expect((await get(`experiments/get?experiment_id=${exp}`)).body.experiment.tags).toEqual([]);
  });

  it("answers unknown logged models with RESOURCE_DOES_NOT_EXIST and left-out families with NOT_IMPLEMENTED", async () => {
    expect((await get("logged-models/m-0123456789abcdef0123456789abcdef")).body.error_code).toBe(
      "RESOURCE_DOES_NOT_EXIST",
    );
    expect((await get("logged-models/not-an-id")).status).toBe(404);
    const traces = await s.json("GET", "/api/3.0/mlflow/traces", undefined, { token: s.tokens.admin });
    expect(traces).toEqual({
      status: 501,
      body: { error_code: "NOT_IMPLEMENTED", message: expect.stringContaining("traces") },
    });
    const runId = await newRun("0", "r", {}, 1);
    const missingTag = await post("runs/delete-tag", { run_id: runId, key: "nope" });
    expect(missingTag.body.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    const readOnly = await post("runs/restore", { run_id: runId }, s.tokens.visionRead);
    expect(readOnly.status).toBe(403);
  });

  it("keeps params immutable and refuses a whole batch that breaks a rule (nothing written)", async () => {
    const runId = await newRun("0", "r", { lr: "0.1" }, 1);
    expect((await post("runs/log-parameter", { run_id: runId, key: "lr", value: "0.1" })).status).toBe(200);
    const changed = await post("runs/log-batch", {
      run_id: runId,
      params: [{ key: "lr", value: "0.2" }],
      metrics: [{ key: "acc", value: 0.5, timestamp: 1, step: 0 }],
    });
    expect(changed).toMatchObject({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE" } });
    const history = await get(`metrics/get-history?run_id=${runId}&metric_key=acc`);
    expect(history.body.metrics).toEqual([]);
    const tooMany = await post("runs/log-batch", {
      run_id: runId,
      metrics: Array.from({ length: 1001 }, (_, i) => ({ key: "m", value: i, timestamp: 1, step: i })),
    });
    expect(tooMany.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    const longValue = await post("runs/log-parameter", {
      run_id: runId,
      key: "text",
      value: "x".repeat(6001),
    });
    expect(longValue.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    const nan = await post("runs/log-metric", {
      run_id: runId,
      key: "weird",
      value: "NaN",
      timestamp: "1700000000000",
      step: "3",
    });
    expect(nan.status).toBe(200);
    const weird = (await get(`metrics/get-history?run_id=${runId}&metric_key=weird`)).body.metrics;
    expect(weird).toEqual([{ key: "weird", value: "NaN", timestamp: 1700000000000, step: 3 }]);
  });

  it("deletes runs softly and answers RESOURCE_DOES_NOT_EXIST for unknown ids", async () => {
    const runId = await newRun("0", "gone", {}, 1);
    expect((await post("runs/delete", { run_id: runId })).status).toBe(200);
    expect((await get(`runs/get?run_id=${runId}`)).body.run.info.lifecycle_stage).toBe("deleted");
    expect((await post("runs/search", { experiment_ids: ["0"] })).body.runs).toEqual([]);
    expect((await get("experiments/get?experiment_id=nope")).status).toBe(404);
    expect((await post("runs/create", { experiment_id: "nope" })).body.error_code).toBe(
      "RESOURCE_DOES_NOT_EXIST",
    );
  });

  it("checks tokens: read-only tokens may search but not write; projects are experiment names", async () => {
    const id = (await post("experiments/create", { name: "vision" })).body.experiment_id;
    expect((await post("runs/search", { experiment_ids: [id] }, s.tokens.visionRead)).status).toBe(200);
    expect((await post("runs/create", { experiment_id: id }, s.tokens.visionRead)).body.error_code).toBe(
      "PERMISSION_DENIED",
    );
    expect((await post("runs/create", { experiment_id: id }, s.tokens.vision)).status).toBe(200);
    expect((await post("runs/create", { experiment_id: id }, s.tokens.other)).body.error_code).toBe(
      "PERMISSION_DENIED",
    );
    expect((await post("experiments/create", { name: "not-mine" }, s.tokens.vision)).body.error_code).toBe(
      "PERMISSION_DENIED",
    );
    const names = (await post("experiments/search", {}, s.tokens.vision)).body.experiments.map(
      (e: any) => e.name,
    );
    expect(names).toEqual(["vision"]);
  });

  it("stores artifacts under the run and refuses paths that escape it", async () => {
    const runId = await newRun("0", "art", {}, 1);
    const root = `/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts`;
    const put = (path: string, body: string) =>
      s.request("PUT", `${root}/${path}`, body, { token: s.tokens.admin });
    expect((await put("model/weights.bin", "abc")).status).toBe(200);
    expect((await put("model/weights.bin", "abcd")).status).toBe(200);
    const listed = await s.json(
      "GET",
      `/api/2.0/mlflow-artifacts/artifacts?path=0/${runId}/artifacts/model`,
      undefined,
      { token: s.tokens.admin },
    );
    expect(listed.body.files).toEqual([{ path: "weights.bin", is_dir: false, file_size: 4 }]);
    const download = await s.request("GET", `${root}/model/weights.bin`, undefined, {
      token: s.tokens.admin,
    });
    expect(await download.text()).toBe("abcd");
    for (const bad of ["..%2F..%2Fescape", "model%2F..%2F..%2Fx", "a%5Cb", "%2E%2E"]) {
      const response = await put(bad, "x");
      expect([bad, response.status]).toEqual([bad, 400]);
    }
    const wrongExperiment = await s.request(
      "PUT",
      `/api/2.0/mlflow-artifacts/artifacts/999/${runId}/artifacts/x`,
      "x",
      { token: s.tokens.admin },
    );
    expect(wrongExperiment.status).toBe(404);
    expect(
      (await s.json("GET", `/api/runs/${runId}/files`, undefined, { token: s.tokens.admin })).body.files,
    ).toHaveLength(1);
  });
});
