"""Python side of the tracking-throughput benchmark: labrun's Python client against raw JSONL append,
ML-Dash (local mode) and MLflow's file store.

bench/tracking-throughput.ts (`npm run bench`) runs this script: one fresh interpreter per tool and round,
so no tool's imports, threads or heap slow down another's measurements. Each invocation appends one JSON
object per measurement to --out (JSON lines). The peers are imported from the interpreter's environment
(PEERS_PY, by default /work/peers-venv/bin/python, with ml-dash 0.11.0 and MLflow from PyPI); labrun's client
is imported from clients/python in this checkout, so the figures are those of the code next to this file.

    python bench/python/tracking_throughput.py TOOL --out FILE [--points N] [--fields 1,10]

TOOL is one of
    labrun       labrun.Run: metrics("train").log(...) once per point, and append(batch) per APPEND_BATCH points
    raw          the same lines built with json (compact encoder) and appended with os.write per RAW_BATCH lines
    ml-dash      ml_dash.Experiment (local mode, dash_root): metrics("train").log(...) once per point
    mlflow       MlflowClient on a file: store: log_metric once per field and point (--mlflow-metric-points),
                 and log_batch of at most 1000 metrics per call (--mlflow-batch-points)
    memory       labrun log(), 1 field, --points points (10M in the bench); RSS sampled every 100,000 points

Every measurement runs in a fresh temporary directory (removed afterwards) and is checked afterwards: the data
file must hold exactly one line per point (for MLflow: per point and field).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import io
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
APPEND_BATCH = 1000  # points per labrun append() call (the TS bench uses the same)
RAW_BATCH = 10_000  # lines per os.write of the raw baseline: the Python client's default flush_size
MLFLOW_MAX_METRICS = 1000  # MLflow's limit of metrics per log_batch call
MEMORY_EVERY = 100_000

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# ------------------------------------------------------------------------------------------ measuring


def machine_busy_ms() -> float:
    """Busy CPU time of the whole machine (all CPUs; idle and iowait excluded), ms, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        return (user + nice + system + irq + softirq + steal) * 1000.0 / _CLK_TCK
    except OSError:
        return float("nan")


def own_cpu_ms() -> float:
    """CPU time of this process (user + system, all its threads), ms."""
    return time.process_time() * 1000.0


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def hwm_bytes() -> int:
    """VmHWM: the peak resident set size of this process so far."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


class Timer:
    """Wall, CPU and the machine's busy time around a measurement; `lap()` marks the end of the logging loop."""

    def __enter__(self) -> "Timer":
        gc.collect()
        self.busy0 = machine_busy_ms()
        self.cpu0 = own_cpu_ms()
        self.t0 = time.perf_counter()
        self.loop_s = None
        return self

    def lap(self) -> None:
        self.loop_s = time.perf_counter() - self.t0

    def __exit__(self, *exc) -> None:
        self.wall_s = time.perf_counter() - self.t0
        self.cpu_ms = own_cpu_ms() - self.cpu0
        self.foreign_ms = machine_busy_ms() - self.busy0 - self.cpu_ms

    def record(self, **fields) -> dict:
        return {
            "wall_s": self.wall_s,
            "loop_s": self.loop_s if self.loop_s is not None else self.wall_s,
            "cpu_ms": self.cpu_ms,
            "foreign_ms": self.foreign_ms,
            **fields,
        }


def count_lines(path: str) -> int:
    n = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return n
            n += chunk.count(b"\n")


def check_lines(path: str, expected: int, what: str) -> int:
    got = count_lines(path)
    if got != expected:
        raise SystemExit(f"{what}: {path} holds {got} lines, expected {expected}")
    return got


@contextlib.contextmanager
def workspace(label: str):
    d = tempfile.mkdtemp(prefix=f"labrun-bench-{label}-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------------------------------------ the points
#
# 1 field: {loss}. 10 fields: three integers and seven floats, cheap to compute so the loop measures logging.
# Every tool gets the same values; each call site spells them out (keywords for the tools whose API takes
# keywords, a dict literal where a dict is what the tool takes).


def dict1(i: int) -> dict:
    return {"loss": 1.0 / (i + 1)}


def dict10(i: int) -> dict:
    x = 1.0 / (i + 1)
    return {
        "step": i, "epoch": i >> 10, "tokens": i * 2048, "loss": x, "acc": 1.0 - x, "lr": 0.001,
        "grad_norm": 3.0 * x, "val_loss": 1.1 * x, "val_acc": 1.0 - 1.1 * x, "throughput": 1234.5,
    }


# ------------------------------------------------------------------------------------------ labrun


def labrun_import():
    sys.path.insert(0, os.path.join(REPO, "clients", "python"))
    import labrun  # noqa: E402

    return labrun


def labrun_log(fields: int, n: int) -> dict:
    labrun = labrun_import()
    with workspace("py-log") as root:
        run = labrun.Run(prefix=f"bench/tracking/py-log-{fields}", root=root)
        run.start()
        m = run.metrics("train")
        log = m.log
        with Timer() as t:
            if fields == 1:
                for i in range(n):
                    log(loss=1.0 / (i + 1))
            else:
                for i in range(n):
                    x = 1.0 / (i + 1)
                    log(step=i, epoch=i >> 10, tokens=i * 2048, loss=x, acc=1.0 - x, lr=0.001,
                        grad_norm=3.0 * x, val_loss=1.1 * x, val_acc=1.0 - 1.1 * x, throughput=1234.5)
            t.lap()
            if not run.flush():
                raise SystemExit(f"labrun flush failed: {run.write_errors}")
        run.complete()
        lines = check_lines(os.path.join(run.dir, "metrics", "train", "data.jsonl"), n, "labrun log")
        return t.record(tool="labrun", api="log", fields=fields, points=n, lines=lines)


def labrun_append(fields: int, n: int) -> dict:
    labrun = labrun_import()
    make = dict1 if fields == 1 else dict10
    with workspace("py-append") as root:
        run = labrun.Run(prefix=f"bench/tracking/py-append-{fields}", root=root)
        run.start()
        m = run.metrics("train")
        with Timer() as t:
            batch = []
            for i in range(n):
                batch.append(make(i))
                if len(batch) == APPEND_BATCH:
                    m.append(batch)
                    batch = []
            if batch:
                m.append(batch)
            t.lap()
            if not run.flush():
                raise SystemExit(f"labrun flush failed: {run.write_errors}")
        run.complete()
        lines = check_lines(os.path.join(run.dir, "metrics", "train", "data.jsonl"), n, "labrun append")
        return t.record(tool="labrun", api="append", fields=fields, points=n, lines=lines)


# ------------------------------------------------------------------------------------------ raw


def utc_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat() + "Z"


def raw_append(fields: int, n: int) -> dict:
    """The lines the client writes ({"index","data" with "_ts","createdAt"}), built with a compact
    json.JSONEncoder and appended with one os.write per RAW_BATCH lines on an O_APPEND descriptor."""
    make = dict1 if fields == 1 else dict10
    encode = json.JSONEncoder(separators=(",", ":")).encode
    now = time.time
    with workspace("py-raw") as root:
        path = os.path.join(root, "data.jsonl")
        with Timer() as t:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                created = utc_iso()
                batch = []
                for i in range(n):
                    data = make(i)
                    data["_ts"] = now()
                    batch.append(encode({"index": i, "data": data, "createdAt": created}) + "\n")
                    if len(batch) == RAW_BATCH:
                        buf = "".join(batch).encode("utf-8")
                        while buf:
                            buf = buf[os.write(fd, buf):]
                        batch = []
                        created = utc_iso()
                if batch:
                    buf = "".join(batch).encode("utf-8")
                    while buf:
                        buf = buf[os.write(fd, buf):]
            finally:
                os.close(fd)
        lines = check_lines(path, n, "raw")
        return t.record(tool="raw", api="append", fields=fields, points=n, lines=lines)


# ------------------------------------------------------------------------------------------ ml-dash


def mldash_log(fields: int, n: int) -> dict:
    import ml_dash
    from ml_dash import Experiment

    with workspace("mldash") as root:
        # ML-Dash prints progress bars while it flushes: to a discarded buffer (the printing stays in its time).
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink):
            exp = Experiment(prefix=f"bench/tracking/mldash-{fields}", dash_root=root)
            exp.run.start()
            m = exp.metrics("train")
            log = m.log
            with Timer() as t:
                if fields == 1:
                    for i in range(n):
                        log(loss=1.0 / (i + 1))
                else:
                    for i in range(n):
                        x = 1.0 / (i + 1)
                        log(step=i, epoch=i >> 10, tokens=i * 2048, loss=x, acc=1.0 - x, lr=0.001,
                            grad_norm=3.0 * x, val_loss=1.1 * x, val_acc=1.0 - 1.1 * x, throughput=1234.5)
                t.lap()
                exp.flush()
            exp.run.complete()
        data = os.path.join(root, "bench", "tracking", f"mldash-{fields}", "metrics", "train", "data.jsonl")
        lines = check_lines(data, n, "ml-dash")
        return t.record(tool="ml-dash", api="log", fields=fields, points=n, lines=lines,
                        version=getattr(ml_dash, "__version__", None) or _dist_version("ml-dash"))


def _dist_version(name: str):
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # noqa: BLE001
        return None


# ------------------------------------------------------------------------------------------ MLflow


def mlflow_client(root: str):
    # MLflow 3.x refuses the file store unless told it is wanted (it is in maintenance mode, still shipped).
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri="file://" + os.path.join(root, "mlruns"))
    experiment_id = client.create_experiment("bench")
    run = client.create_run(experiment_id)
    metrics_dir = os.path.join(root, "mlruns", experiment_id, run.info.run_id, "metrics")
    return client, run.info.run_id, metrics_dir


def mlflow_check(metrics_dir: str, fields: int, n: int) -> int:
    keys = list(dict1(0) if fields == 1 else dict10(0))
    return sum(check_lines(os.path.join(metrics_dir, key), n, f"mlflow {key}") for key in keys)


def mlflow_log_metric(fields: int, n: int) -> dict:
    import mlflow

    with workspace("mlflow") as root:
        client, run_id, metrics_dir = mlflow_client(root)
        log_metric = client.log_metric
        with Timer() as t:
            if fields == 1:
                for i in range(n):
                    log_metric(run_id, "loss", 1.0 / (i + 1), step=i)
            else:
                for i in range(n):
                    for key, value in dict10(i).items():
                        log_metric(run_id, key, value, step=i)
        client.set_terminated(run_id)
        lines = mlflow_check(metrics_dir, fields, n)
        return t.record(tool="mlflow", api="log_metric", fields=fields, points=n, lines=lines,
                        version=mlflow.__version__)


def mlflow_log_batch(fields: int, n: int) -> dict:
    import mlflow
    from mlflow.entities import Metric

    with workspace("mlflow") as root:
        client, run_id, metrics_dir = mlflow_client(root)
        per_call = MLFLOW_MAX_METRICS // fields  # points per call: 1000 metrics at most
        make = dict1 if fields == 1 else dict10
        with Timer() as t:
            batch = []
            for i in range(n):
                ts = int(time.time() * 1000)
                batch.extend(Metric(key, value, ts, i) for key, value in make(i).items())
                if len(batch) >= per_call * fields:
                    client.log_batch(run_id, metrics=batch)
                    batch = []
            if batch:
                client.log_batch(run_id, metrics=batch)
        client.set_terminated(run_id)
        lines = mlflow_check(metrics_dir, fields, n)
        return t.record(tool="mlflow", api="log_batch", fields=fields, points=n, lines=lines,
                        version=mlflow.__version__, points_per_call=per_call)


# ------------------------------------------------------------------------------------------ memory


def labrun_memory(n: int) -> dict:
    """10M points through log() (1 field), RSS sampled every MEMORY_EVERY points from /proc/self/statm."""
    labrun = labrun_import()
    with workspace("py-memory") as root:
        run = labrun.Run(prefix="bench/tracking/py-memory", root=root)
        run.start()
        log = run.metrics("train").log
        gc.collect()
        samples = [(0, rss_bytes())]
        t0 = time.perf_counter()
        for i in range(n):
            log(loss=1.0 / (i + 1))
            if (i + 1) % MEMORY_EVERY == 0:
                samples.append((i + 1, rss_bytes()))
        if not run.flush():
            raise SystemExit(f"labrun flush failed: {run.write_errors}")
        wall = time.perf_counter() - t0
        run.complete()
        samples.append((n, rss_bytes()))
        hwm = hwm_bytes()
        path = os.path.join(run.dir, "metrics", "train", "data.jsonl")
        size = os.path.getsize(path)
        lines = check_lines(path, n, "labrun memory")
        return {"tool": "labrun", "api": "log", "fields": 1, "points": n, "wall_s": wall, "samples": samples,
                "hwm": hwm, "lines": lines, "file_bytes": size}


# ------------------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tool", choices=["labrun", "raw", "ml-dash", "mlflow", "memory"])
    parser.add_argument("--out", required=True, help="JSON lines file to append the results to")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--fields", default="1,10")
    parser.add_argument("--mlflow-metric-points", type=int, default=2000)
    parser.add_argument("--mlflow-batch-points", default="100000,10000",
                        help="points for log_batch with 1 field, with 10 fields")
    args = parser.parse_args()
    fields = [int(f) for f in args.fields.split(",")]
    batch_points = dict(zip((1, 10), (int(p) for p in args.mlflow_batch_points.split(","))))

    if args.tool == "labrun":
        plan = [(labrun_log, f, args.points) for f in fields] + [(labrun_append, f, args.points) for f in fields]
    elif args.tool == "raw":
        plan = [(raw_append, f, args.points) for f in fields]
    elif args.tool == "ml-dash":
        plan = [(mldash_log, f, args.points) for f in fields]
    elif args.tool == "mlflow":
        plan = [(mlflow_log_metric, f, args.mlflow_metric_points) for f in fields]
        plan += [(mlflow_log_batch, f, batch_points[f]) for f in fields]
    else:
        plan = [(lambda _f, n: labrun_memory(n), 1, args.points)]

    for fn, f, n in plan:
        record = fn(f, n)
        record["python"] = sys.version.split()[0]
        with open(args.out, "a") as out:
            out.write(json.dumps(record) + "\n")
        rate = record["points"] / record["wall_s"]
        sys.stderr.write(f"  python {record['tool']:8} {record['api']:10} {f:2} field(s) {n:>9,} points  "
                         f"{rate:>12,.0f} points/s\n")


if __name__ == "__main__":
    main()
