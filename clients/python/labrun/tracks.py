"""Tracks: time-stamped entries (robot and sensor data), ``run.tracks("robot/pos").append(x=1.0, _ts=2.5)``."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from . import _jsonio as jio
from ._paths import track_folder
from .logs import ReadResult
from .metrics import resolve_ts

if TYPE_CHECKING:
    from .run import _RunBase


class Track:
    """One topic. Entries with the same ``_ts`` in one batch are merged into one line (later fields win);
    nested dict fields are stored flattened (``pose.x``)."""

    def __init__(self, run: "_RunBase", topic: str) -> None:
        self._run = run
        self.topic = topic
        self.folder = track_folder(topic)

    def append(self, fields: Optional[Dict[str, Any]] = None, **kwargs: Any) -> "Track":
        """Adds an entry. ``_ts``: epoch seconds; omitted → now (unique per run); -1 → the previous
        ``_ts`` of this thread (metrics or tracks)."""
        writer = self._run._writable()
        data = dict(fields) if fields is not None else {}
        data.update(kwargs)
        if "_ts" in data and data["_ts"] is not None:
            ts = resolve_ts(self._run, data.pop("_ts"))
        else:
            data.pop("_ts", None)
            ts = self._run._unique_now()
            self._run._timestamps.last = ts
        checked = jio.json_value(data, f"tracks({self.topic!r})")
        writer.add_track(self.topic, self.folder, ts, checked)
        return self

    log = append

    def flush(self) -> "Track":
        self._run.flush()
        return self

    def read(self, start: Optional[float] = None, end: Optional[float] = None) -> ReadResult:
        """Stored entries ``{timestamp, ...fields}`` with ``start <= timestamp <= end``, in file order."""
        self._run._flush_if_writing()
        stats: Dict[str, int] = {}
        out = ReadResult()
        for record in self._run._sink.iter_track(self.folder, stats):
            ts = record.get("timestamp")
            if not isinstance(ts, (int, float)):
                continue
            if (start is not None and ts < start) or (end is not None and ts > end):
                continue
            out.append(record)
        out.total = len(out)
        out.torn = bool(stats.get("torn"))
        out.skipped = stats.get("skipped", 0)
        return out

    def __repr__(self) -> str:
        return f"Track({self.topic!r})"


class Tracks:
    """``run.tracks``: ``run.tracks("camera/rgb").append(frame=0, _ts=0.0)``."""

    def __init__(self, run: "_RunBase") -> None:
        self._run = run
        self._topics: Dict[str, Track] = {}
        self._lock = threading.Lock()

    def __call__(self, topic: str) -> Track:
        track = self._topics.get(topic)
        if track is None:
            with self._lock:
                track = self._topics.get(topic)
                if track is None:
                    track = self._topics[topic] = Track(self._run, topic)
        return track

    def flush(self) -> "Tracks":
        self._run.flush()
        return self

    def topics(self) -> List[str]:
        """Stored topics (from each track's metadata.json)."""
        self._run._flush_if_writing()
        base = self._run._sink.path("tracks")
        out: List[str] = []
        try:
            names = sorted(os.listdir(base))
        except FileNotFoundError:
            return out
        for name in names:
            meta = jio.read_json(os.path.join(base, name, "metadata.json"), None)
            if isinstance(meta, dict) and isinstance(meta.get("topic"), str):
                out.append(meta["topic"])
        return out

