"""Metric streams: ``run.metrics("train").log(loss=0.5, step=3)``, batches, the fan-out
``run.metrics.log(epoch=1, train={...}, eval={...})``, buffered summaries, and reading with downsampling."""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional

from . import _jsonio as jio
from ._paths import check_stream_name
from .errors import InvalidArgumentError, TrackingValueError
from .logs import ReadResult

if TYPE_CHECKING:
    from .run import _RunBase

_dumps = jio.dumps
_dumps_flat = jio.dumps_flat
_time = time.time
_SCALARS = (int, float)
_PLAIN = frozenset((float, int, str, bool, type(None)))


def _encode(data: Dict[str, Any], where: str) -> str:
    for value in data.values():
        if type(value) not in _PLAIN:
            # Containers are checked in full (string keys, no cycles); numpy values are converted; anything
            # else raises TrackingValueError naming the field.
            return _dumps(jio.json_value(data, where))
    return _dumps_flat(data)


def resolve_ts(run: "_RunBase", value: Any) -> float:
    """``_ts``: None → now; -1 → the previous ``_ts`` of this thread (metrics and tracks); a number → it."""
    if value is None:
        ts = time.time()
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            ts = float(value)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"_ts must be a number (epoch seconds) or -1, not {value!r}.", {"_ts": repr(value)}
            ) from None
    elif value == -1:
        last = run._timestamps.last
        if last is None:
            raise InvalidArgumentError("_ts=-1 inherits the previous _ts of this thread, and there is none yet.")
        ts = last
    else:
        ts = float(value)
    run._timestamps.last = ts
    return ts


class MetricStream:
    """One named stream (``run.metrics("train")``); the same object for the same name."""

    def __init__(
        self,
        run: "_RunBase",
        name: Optional[str],
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._run = run
        self.name = name
        self._description = description
        self._tags = list(tags) if tags is not None else None
        self._metadata = metadata
        self._sent_meta = description is None and tags is None and metadata is None
        self._where = f"metrics({name!r})"

    # ------------------------------------------------------------------------------ writing

    def log(self, fields: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> "MetricStream":
        """Adds one point. ``_ts`` sets its time (epoch seconds; -1 = the previous point's time)."""
        run = self._run
        writer = run._writer
        if writer is None:
            writer = run._writable()
        if fields is None:
            data = kwargs
        else:
            data = dict(fields)
            data.update(kwargs)
        ts = data.pop("_ts", None)
        if ts is None:
            # The common case, inlined: the point's time is now.
            ts = _time()
            run._timestamps.last = ts
        else:
            ts = resolve_ts(run, ts)
        data["_ts"] = ts
        if "__proto__" in data:
            raise TrackingValueError(f"{self._where}.__proto__", 1, 'the field name "__proto__" cannot be stored faithfully; rename it')
        for value in data.values():
            if type(value) not in _PLAIN:
                encoded = _dumps(jio.json_value(data, self._where))
                break
        else:
            encoded = _dumps_flat(data)
        if self._sent_meta:
            writer.add_point(self.name, encoded)
        else:
            self._sent_meta = True
            writer.add_points(self.name, [encoded], self._description, self._tags, self._metadata)
        return self

    def append(self, records: Iterable[Mapping[str, Any]]) -> "MetricStream":
        """Adds many points at once (each a mapping of fields, ``_ts`` optional). All are checked before
        any is kept, so a bad record adds none."""
        writer = self._run._writable()
        encoded: List[str] = []
        for i, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise TrackingValueError(f"{self._where}.append[{i}]", record, "each record must be a mapping")
            data = dict(record)
            ts = data.pop("_ts", None)
            data["_ts"] = resolve_ts(self._run, ts) if ts is not None else _time()
            encoded.append(_encode(data, f"{self._where}.append[{i}]"))
            last_ts = data["_ts"]
        if encoded:
            self._run._timestamps.last = last_ts
        if encoded:
            writer.add_points(self.name, encoded, self._description, self._tags, self._metadata)
            self._sent_meta = True
        return self

    append_batch = append
    log_batch = append

    def buffer(self, **values: Any) -> "MetricStream":
        """Keeps numeric values for a later ``log_summary`` (nothing is written now); None counts as NaN."""
        self._run.metrics.buffer._store(self.name, values)
        return self

    def log_summary(self, *aggs: str, **extra: Any) -> "MetricStream":
        """Writes one point summarising this stream's buffered values (``loss.mean``, ``loss.p95``, …)."""
        self._run.metrics.buffer.log_summary(*aggs, _only=self.name, **extra)
        return self

    def flush(self) -> "MetricStream":
        self._run.flush()
        return self

    # ------------------------------------------------------------------------------ reading

    def read(
        self,
        from_: Optional[float] = None,
        to: Optional[float] = None,
        max_points: Optional[int] = None,
        fields: Optional[Iterable[str]] = None,
        by: str = "index",
    ) -> ReadResult:
        """Stored points ``{index, data, createdAt}`` with ``from_ <= by-value <= to`` (both inclusive), in
        file order. ``by`` is ``"index"`` (default) or a numeric field such as ``"step"`` or ``"_ts"``.

        With ``max_points``, a longer range is cut into buckets of consecutive points and each bucket keeps
        the points holding the minimum and the maximum of every numeric field (``fields`` narrows which;
        ``_ts`` is not one by default), plus the range's first and last point: spikes and dips survive and
        at most ``max_points`` points come back. ``total`` counts the points in the range before that,
        ``downsampled`` says whether it happened.
        """
        self._run._flush_if_writing()
        if max_points is not None and (isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1):
            raise InvalidArgumentError(f"max_points must be a positive integer, not {max_points!r}.")
        only = list(fields) if fields is not None else None
        stats: Dict[str, int] = {}

        def in_range(record: Dict[str, Any]) -> bool:
            if by == "index":
                value = record.get("index")
            else:
                data = record.get("data")
                value = data.get(by) if isinstance(data, dict) else None
            if type(value) not in _SCALARS or value != value:
                return False
            return (from_ is None or value >= from_) and (to is None or value <= to)

        points = (r for r in self._run._sink.iter_metric(self.name, stats) if in_range(r))
        if max_points is None:
            result = ReadResult(points)
            result.total = len(result)
        else:
            result = _downsample(points, max_points, only)
        result.torn = bool(stats.get("torn"))
        result.skipped = stats.get("skipped", 0)
        return result

    def stats(self) -> Dict[str, Any]:
        """The stream's ``metadata.json`` (``totalDataPoints``, ``nextIndex``, times), or {} if none."""
        self._run._flush_if_writing()
        doc = jio.read_json(self._run._sink.metric_dir(self.name) + "/metadata.json", {})
        return doc if isinstance(doc, dict) else {}

    def last(self) -> Optional[Dict[str, Any]]:
        """The last stored point, or None."""
        self._run._flush_if_writing()
        store = self._run._sink
        record = store._last_record(store.metric_dir(self.name) + "/data.jsonl")
        return record if isinstance(record, dict) else None

    def __repr__(self) -> str:
        return f"MetricStream({self.name!r})"


def _numeric(data: Any, only: Optional[List[str]]) -> List[Any]:
    if not isinstance(data, dict):
        return []
    keys = only if only is not None else [k for k in data if k != "_ts"]
    return [(k, data[k]) for k in keys if type(data.get(k)) in _SCALARS and data[k] == data[k]]


def _downsample(points: Iterable[Dict[str, Any]], max_points: int, only: Optional[List[str]]) -> ReadResult:
    """Streaming min/max downsampling in bounded memory: points fall into buckets of ``width`` consecutive
    points; when there are too many buckets, neighbours merge pairwise and the width doubles."""
    buckets: List[Dict[str, List[Any]]] = []
    max_buckets: Optional[int] = None
    width = 1
    total = 0
    head: List[Dict[str, Any]] = []
    first: Optional[Dict[str, Any]] = None
    last: Optional[Dict[str, Any]] = None
    for record in points:
        ordinal = total
        total += 1
        if first is None:
            first = record
        last = record
        if total <= max_points:
            head.append(record)
        pairs = _numeric(record.get("data"), only)
        if max_buckets is None and pairs:
            field_count = len(only) if only is not None else len(pairs)
            max_buckets = max(1, (max_points - 2) // (2 * max(1, field_count)))
        b = ordinal // width
        while len(buckets) <= b:
            buckets.append({})
        slot = buckets[b]
        for key, value in pairs:
            cur = slot.get(key)
            if cur is None:
                slot[key] = [value, record, value, record]
            else:
                if value < cur[0]:
                    cur[0], cur[1] = value, record
                if value > cur[2]:
                    cur[2], cur[3] = value, record
        if max_buckets is not None and len(buckets) > max_buckets:
            merged = []
            for i in range(0, len(buckets), 2):
                left = buckets[i]
                for key, cur in (buckets[i + 1] if i + 1 < len(buckets) else {}).items():
                    have = left.get(key)
                    if have is None:
                        left[key] = cur
                        continue
                    if cur[0] < have[0]:
                        have[0], have[1] = cur[0], cur[1]
                    if cur[2] > have[2]:
                        have[2], have[3] = cur[2], cur[3]
                merged.append(left)
            buckets = merged
            width *= 2
    result = ReadResult()
    result.total = total
    if total <= max_points:
        result.extend(head)
        return result
    chosen: Dict[int, Dict[str, Any]] = {}
    for slot in buckets:
        for cur in slot.values():
            chosen[id(cur[1])] = cur[1]
            chosen[id(cur[3])] = cur[3]
    for edge in (first, last):
        if edge is not None:
            chosen[id(edge)] = edge
    order = {id(r): i for i, r in enumerate(chosen.values())}
    picked = sorted(chosen.values(), key=lambda r: (r.get("index", 0), order[id(r)]))
    if len(picked) > max_points:
        # Points with more fields than counted at the start: thin evenly, keeping the first and the last.
        if max_points == 1:
            picked = picked[:1]
        else:
            step = (len(picked) - 1) / (max_points - 1)
            picked = [picked[round(i * step)] for i in range(max_points)]
    result.extend(picked)
    result.downsampled = True
    return result


class SummaryBuffer:
    """``run.metrics.buffer``: values kept by ``metrics(name).buffer(...)`` until ``log_summary``."""

    AGGREGATIONS = (
        "mean", "std", "min", "max", "count", "median", "sum", "p50", "p90", "p95", "p99", "last", "first",
    )

    def __init__(self, metrics: "Metrics") -> None:
        self._metrics = metrics
        self._values: Dict[Optional[str], Dict[str, List[float]]] = defaultdict(lambda: defaultdict(list))
        self._lock = threading.Lock()

    def _store(self, name: Optional[str], values: Mapping[str, Any]) -> None:
        converted = {}
        for key, value in values.items():
            if value is None:
                converted[key] = math.nan
                continue
            try:
                converted[key] = float(value)
            except (TypeError, ValueError):
                raise TrackingValueError(f"metrics({name!r}).buffer.{key}", value, "buffered values must be numbers") from None
        with self._lock:
            slot = self._values[name]
            for key, value in converted.items():
                slot[key].append(value)

    def peek(self, name: Optional[str] = None) -> Dict[str, List[float]]:
        with self._lock:
            return {k: list(v) for k, v in self._values.get(name, {}).items()}

    def log_summary(self, *aggs: str, _only: Any = ..., **extra: Any) -> None:
        """For every stream with buffered values (or only ``_only``), writes one point
        ``{**extra, "<key>.<agg>": value, ...}`` and clears its buffer. Default aggregation: mean. NaN values
        are left out; a key with only NaN values is left out."""
        aggs = aggs or ("mean",)
        for agg in aggs:
            if agg not in self.AGGREGATIONS:
                raise InvalidArgumentError(
                    f"Unknown aggregation {agg!r}. Use any of: {', '.join(self.AGGREGATIONS)}.", {"aggregation": agg}
                )
        with self._lock:
            if _only is ...:
                taken = dict(self._values)
                self._values.clear()
            else:
                taken = {_only: self._values.pop(_only)} if _only in self._values else {}
        for name, slot in taken.items():
            point: Dict[str, Any] = dict(extra)
            for key, values in slot.items():
                clean = [v for v in values if not math.isnan(v)]
                if not clean:
                    continue
                for agg in aggs:
                    point[f"{key}.{agg}"] = _aggregate(agg, clean)
            if point:
                if name is None:
                    self._metrics._unnamed().log(point)
                else:
                    self._metrics(name).log(point)


def _percentile(values: List[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    f = int(k)
    c = f + 1 if f + 1 < len(ordered) else f
    return ordered[f] + (k - f) * (ordered[c] - ordered[f])


def _aggregate(agg: str, values: List[float]) -> float:
    if agg == "mean":
        return statistics.fmean(values) if hasattr(statistics, "fmean") else sum(values) / len(values)
    if agg == "std":
        return statistics.stdev(values) if len(values) >= 2 else 0.0
    if agg == "min":
        return min(values)
    if agg == "max":
        return max(values)
    if agg == "count":
        return len(values)
    if agg in ("median", "p50"):
        return statistics.median(values)
    if agg == "sum":
        return math.fsum(values)
    if agg == "last":
        return values[-1]
    if agg == "first":
        return values[0]
    return _percentile(values, float(agg[1:]))


class Metrics:
    """``run.metrics``: call it with a name for a stream; ``log`` fans a nested point out to streams.

    >>> run.metrics("train").log(loss=0.5, step=3)
    >>> run.metrics.log(epoch=1, train={"loss": 0.5}, eval={"loss": 0.6})
    ...   # → train: {epoch: 1, loss: 0.5}, eval: {epoch: 1, loss: 0.6}, unnamed stream: {epoch: 1}
    >>> run.metrics("train").buffer(loss=0.5); run.metrics.buffer.log_summary("mean", "p95", epoch=1)
    """

    def __init__(self, run: "_RunBase") -> None:
        self._run = run
        self._streams: Dict[Optional[str], MetricStream] = {}
        self._lock = threading.Lock()
        self.buffer = SummaryBuffer(self)

    def __call__(
        self,
        name: str,
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> MetricStream:
        stream = self._streams.get(name)
        if stream is None:
            check_stream_name(name)
            with self._lock:
                stream = self._streams.get(name)
                if stream is None:
                    stream = self._streams[name] = MetricStream(self._run, name, description, tags, metadata)
        return stream

    def _unnamed(self) -> MetricStream:
        stream = self._streams.get(None)
        if stream is None:
            with self._lock:
                stream = self._streams.setdefault(None, MetricStream(self._run, None))
        return stream

    def log(self, _flush: bool = False, **fields: Any) -> "Metrics":
        """ML-Dash's fan-out: scalar fields go to the unnamed stream (folder ``None``); each dict field
        ``name={...}`` becomes a point of stream ``name`` holding the scalars too. One ``_ts`` for all."""
        self._run._writable()
        ts = resolve_ts(self._run, fields.pop("_ts", None))
        scalars = {k: v for k, v in fields.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in fields.items() if isinstance(v, dict)}
        for name in nested:
            check_stream_name(name)
        if scalars:
            self._unnamed().log(scalars, _ts=ts)
        for name, values in nested.items():
            self(name).log({**scalars, **values}, _ts=ts)
        if _flush:
            self._run.flush()
        return self

    def log_summary(self, *aggs: str, **extra: Any) -> "Metrics":
        self.buffer.log_summary(*aggs, **extra)
        return self

    def flush(self) -> "Metrics":
        self._run.flush()
        return self

    def names(self) -> List[Optional[str]]:
        """Stored stream names, sorted (None for the unnamed stream)."""
        self._run._flush_if_writing()
        return self._run._sink.metric_names()

    def unnamed(self) -> MetricStream:
        """The unnamed stream (ML-Dash's ``metrics.log(epoch=1)`` scalars)."""
        return self._unnamed()
