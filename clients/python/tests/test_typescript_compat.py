"""Runs written by this client are read by labrun's TypeScript SDK, and the other way round. Runs only in
a labrun checkout with its node_modules (tsx); skipped otherwise."""

import json
import math
import os
import shutil
import subprocess

import pytest

from labrun import Run

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TSX = os.path.join(REPO, "node_modules", ".bin", "tsx")
INDEX = os.path.join(REPO, "src", "index.ts")

pytestmark = pytest.mark.skipif(
    not (os.path.exists(TSX) and os.path.exists(INDEX) and shutil.which("node")),
    reason="needs the labrun checkout's TypeScript SDK (src/index.ts) and node_modules/.bin/tsx",
)

SCRIPT = """
import { Run } from %(index)s;
const view: any = Run.open("alice/x/from-python");
const train = await view.metrics("train").read({ maxPoints: 1000 });
const last = view.metrics("train").last();
const logs = await view.logs.read({ level: "warn" });
const out = {
  status: view.status,
  params: view.params.get(),
  nested: view.params.get({ flatten: false }),
  indices: train.points.map((p: any) => p.index),
  lastLoss: String(last.data.loss), lastGrad: String(last.data.grad),
  torn: train.torn,
  logs: logs.records.map((r: any) => [r.sequenceNumber, r.level, r.message, String(r.metadata?.k)]),
  track: await view.tracks("robot/pos").read(),
};
const run: any = new Run({ prefix: "alice/x/from-ts", tags: ["ts"] });
run.params.set({ lr: 0.1, model: { depth: 3 } });
run.metrics("train").log({ loss: NaN, step: 0 });
run.metrics("train").log({ loss: 0.5, step: 1 });
run.log("from ts", { level: "error", x: 1 });
run.tracks("a/b").append({ v: 1, _ts: 2 });
await run.files("models").save(new Uint8Array([1, 2, 3]), { name: "w.bin" });
await run.complete();
console.log(JSON.stringify(out));
"""


def test_both_directions_with_the_typescript_sdk(root, tmp_path):
    with Run(prefix="alice/x/from-python", tags=["py"]).run as run:
        run.log("hello", level="warn", k=float("nan"))
        run.log("quiet", level="debug")
        run.params.set(lr=1e-3, model={"depth": 50})
        run.metrics("train").append([{"loss": 1.0 / (i + 1), "step": i} for i in range(10)])
        run.metrics("train").log(loss=float("nan"), grad=float("inf"), step=10)
        run.tracks("robot/pos").append(x=1.5, _ts=1.0)
    script = tmp_path / "check.mts"
    script.write_text(SCRIPT % {"index": json.dumps(INDEX)})
    done = subprocess.run([TSX, str(script)], cwd=REPO, env=dict(os.environ), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == "COMPLETED"
    assert seen["params"] == {"lr": 0.001, "model.depth": 50}
    assert seen["nested"] == {"lr": 0.001, "model": {"depth": 50}}
    assert seen["indices"] == list(range(11)) and seen["torn"] is False
    assert (seen["lastLoss"], seen["lastGrad"]) == ("NaN", "Infinity")
    assert seen["logs"] == [[0, "warn", "hello", "NaN"]]
    assert seen["track"] == [{"timestamp": 1, "x": 1.5}]

    view = Run.open("alice/x/from-ts")
    assert view.status == "COMPLETED" and view.tags == ["ts"]
    assert view.params.get(flatten=False) == {"lr": 0.1, "model": {"depth": 3}}
    points = view.metrics("train").read()
    assert [p["index"] for p in points] == [0, 1] and math.isnan(points[0]["data"]["loss"])
    assert [(r["level"], r["message"], r["metadata"]) for r in view.logs.read()] == [("error", "from ts", {"x": 1})]
    assert view.tracks("a/b").read() == [{"timestamp": 2, "v": 1}]
    assert view.files("models").read_bytes("w.bin") == b"\x01\x02\x03"
    # And this client resumes the TypeScript run.
    with Run(prefix="alice/x/from-ts").run as run:
        run.metrics("train").log(loss=0.25, step=2)
        run.log("from python")
    assert [p["index"] for p in Run.open("alice/x/from-ts").metrics("train").read()] == [0, 1, 2]
    assert [r["sequenceNumber"] for r in Run.open("alice/x/from-ts").logs.read()] == [0, 1]
