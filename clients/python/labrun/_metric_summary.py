"""Buffered summaries: ``metrics(name).buffer(loss=...)`` keeps values until ``log_summary("mean", "p90")``
logs their aggregates as one point."""

from __future__ import annotations

import math
import statistics
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional

from .errors import InvalidArgumentError, TrackingValueError

if TYPE_CHECKING:
    from .metrics import Metrics


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
