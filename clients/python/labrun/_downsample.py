"""Downsampling a metric stream to at most ``max_points`` in bounded memory (min/max per bucket), for
``metrics(name).read(max_points=...)``."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from .logs import ReadResult

_SCALARS = (int, float)


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
