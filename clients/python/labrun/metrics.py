"""Metric streams: ``run.metrics("train").log(loss=0.5, step=3)``, batches, the fan-out
``run.metrics.log(epoch=1, train={...}, eval={...})``, buffered summaries, and reading with downsampling."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional

from . import _jsonio as jio
from ._paths import check_stream_name
from .errors import InvalidArgumentError, TrackingValueError
from ._downsample import _downsample
from ._metric_summary import SummaryBuffer
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
