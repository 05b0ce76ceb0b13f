"""The local sink: writes one run folder (docs/tracking-format.md, ML-Dash's local storage).

It holds the primitives only: append a batch of log records / metric points / track entries, merge parameters,
store or delete a file, rewrite experiment.json. Buffering and threads live above it (``_writer.py``), the
status in ``_status_record.py``; validation of user values happens at the call that passes them. In remote
mode it is composed with the remote sink by a ``TeeSink`` (``_sink.py``).
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _jsonio as jio
from ._local_files import LocalFiles
from ._paths import UNNAMED_STREAM
from ._run_folder import read_json_retry, read_metadata

SPACE_RESERVE = ".space-reserve"


class SidecarWriteError(Exception):
    """The data of a batch was appended, but a counter file beside it (metadata.json, .log_sequence) could
    not be rewritten. The batch must not be written again; the counter is rewritten at the next batch or
    by ``LocalSink.save_unsaved()``."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


class LocalSink(LocalFiles):
    """Writes (and reads) the files of one run folder. Thread-safe for one writer thread per stream."""

    def __init__(self, run_dir: str) -> None:
        super().__init__(run_dir)
        self.dir = run_dir
        # Re-entrant: a SIGTERM handler may close the run while the interrupted main thread holds it.
        self._lock = threading.RLock()
        # JSONL files this store has already checked for a torn tail (once per process and file).
        self._repaired: set = set()
        self._next_index: Dict[str, int] = {}
        self._next_seq: Optional[int] = None
        # Counter files whose rewrite failed after their data was appended: path -> content to write.
        self._unsaved: Dict[str, Any] = {}

    def save_unsaved(self) -> None:
        """Rewrites the counter files a full disk refused (raises the I/O error when it still refuses)."""
        for path in list(self._unsaved):
            value = self._unsaved[path]
            if isinstance(value, bytes):
                jio.write_bytes_atomic(path, value)
            else:
                jio.write_json_atomic(path, value)
            del self._unsaved[path]

    def _save_counter(self, path: str, value: Any) -> None:
        self._unsaved.pop(path, None)
        try:
            if isinstance(value, bytes):
                jio.write_bytes_atomic(path, value)
            else:
                jio.write_json_atomic(path, value)
        except OSError as error:
            self._unsaved[path] = value
            raise SidecarWriteError(error) from error

    def update_experiment(self, change: Callable[[Dict[str, Any]], None]) -> Dict[str, Any]:
        """Read experiment.json, let ``change`` edit it in place, write it back atomically. Fields this
        writer does not know are kept."""
        with self._lock:
            # A file that stays unreadable (after one retry) is reported, never overwritten: it may hold
            # another tool's fields.
            doc = self.read_experiment() or {}
            change(doc)
            jio.write_json_atomic(self.experiment_file, doc)
            return doc

    def reserve_space(self) -> None:
        """``.space-reserve``: a few pages an owner sets aside at open, given back to record the final status
        when the disk is full (the same file as the TypeScript writer's). A disk too full for it has none."""
        path = self.path(SPACE_RESERVE)
        try:
            with open(path, "wb") as f:
                f.write(b"\0" * 32768)
        except OSError:
            self.release_space()

    def release_space(self) -> None:
        try:
            os.unlink(self.path(SPACE_RESERVE))
        except OSError:
            pass

    def ensure_folders(self) -> None:
        for sub in ("logs", "metrics", "files"):
            os.makedirs(self.path(sub), exist_ok=True)

    def merge_params(self, flat: Dict[str, Any]) -> Dict[str, Any]:
        """Merges flattened keys into parameters.json; returns the whole flattened data."""
        with self._lock:
            path = self.path("parameters.json")
            doc = read_json_retry(path)
            now = jio.utc_now_iso()
            if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
                data = doc["data"]
                data.update(flat)
                version = doc.get("version")
                new_doc: Dict[str, Any] = {
                    "version": (version if isinstance(version, int) else 1) + 1,
                    "data": data,
                }
                if "createdAt" in doc:
                    new_doc["createdAt"] = doc["createdAt"]
                new_doc["updatedAt"] = now
            else:
                data = dict(flat)
                new_doc = {"version": 1, "data": data, "createdAt": now, "updatedAt": now}
            jio.write_json_atomic(path, new_doc)
            return dict(data)

    # ---------------------------------------------------------------------------------- JSONL helpers

    def _prepare_append(self, path: str) -> None:
        if path not in self._repaired:
            jio.repair_torn_tail(path)
            self._repaired.add(path)

    def append_logs(self, encoded: List[str]) -> None:
        """Appends log records given as encoded JSON objects without ``sequenceNumber``
        (``{"timestamp":…,"level":…,"message":…[,"metadata":…]}``), numbering them from the sequence."""
        if not encoded:
            return
        logs_dir = self.path("logs")
        data_path = os.path.join(logs_dir, "logs.jsonl")
        seq_path = os.path.join(logs_dir, ".log_sequence")
        os.makedirs(logs_dir, exist_ok=True)
        self._prepare_append(data_path)
        seq = self._read_sequence(seq_path)
        if self._next_seq is None:
            # A writer killed between the append and the sequence rewrite leaves the counter behind.
            last = self._last_record(data_path)
            if isinstance(last, dict) and isinstance(last.get("sequenceNumber"), int):
                seq = max(seq, last["sequenceNumber"] + 1)
        else:
            seq = max(seq, self._next_seq)
        lines = []
        for body in encoded:
            lines.append(f'{{"sequenceNumber":{seq},{body[1:]}\n')
            seq += 1
        jio.append_bytes(data_path, "".join(lines).encode("utf-8"))
        self._next_seq = seq
        self._save_counter(seq_path, str(seq).encode("ascii"))

    @staticmethod
    def _read_sequence(path: str) -> int:
        try:
            with open(path, "r", encoding="utf-8") as f:
                return int(f.read().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def append_metric(
        self,
        name: Optional[str],
        points: List[str],
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Appends points, each the encoded ``data`` object (holding ``_ts``), then advances metadata.json."""
        if not points:
            return
        mdir = self.metric_dir(name)
        os.makedirs(mdir, exist_ok=True)
        data_path = os.path.join(mdir, "data.jsonl")
        meta_path = os.path.join(mdir, "metadata.json")
        self._prepare_append(data_path)
        now = jio.utc_now_iso()
        meta = self._unsaved.get(meta_path) or read_metadata(meta_path)
        if not isinstance(meta, dict):
            meta = {
                "metricId": f"local-metric-{UNNAMED_STREAM if name is None else name}",
                "name": name,
                "description": description,
                "tags": list(tags or []),
                "metadata": metadata,
                "totalDataPoints": 0,
                "nextIndex": 0,
                "createdAt": now,
            }
        next_index = meta.get("nextIndex") if isinstance(meta.get("nextIndex"), int) else 0
        key = data_path
        if key not in self._next_index:
            # A writer killed between the append and the metadata rewrite leaves the counter behind.
            last = self._last_record(data_path)
            if isinstance(last, dict) and isinstance(last.get("index"), int):
                next_index = max(next_index, last["index"] + 1)
        else:
            next_index = max(next_index, self._next_index[key])
        dumps = jio.dumps
        created = dumps(now)
        lines = []
        index = next_index
        for data in points:
            lines.append(f'{{"index":{index},"data":{data},"createdAt":{created}}}\n')
            index += 1
        jio.append_bytes(data_path, "".join(lines).encode("utf-8"))
        self._next_index[key] = index
        meta["nextIndex"] = index
        total = meta.get("totalDataPoints") if isinstance(meta.get("totalDataPoints"), int) else 0
        meta["totalDataPoints"] = total + len(points)
        meta["updatedAt"] = now
        self._save_counter(meta_path, meta)

    # ---------------------------------------------------------------------------------- tracks

    def append_track(self, topic: str, folder: str, entries: List[Tuple[float, Dict[str, Any]]]) -> None:
        """Appends ``(timestamp, fields)`` entries; same-timestamp entries merge, the batch is sorted."""
        if not entries:
            return
        tdir = self.path("tracks", folder)
        os.makedirs(tdir, exist_ok=True)
        data_path = os.path.join(tdir, "data.jsonl")
        meta_path = os.path.join(tdir, "metadata.json")
        self._prepare_append(data_path)
        merged: Dict[float, Dict[str, Any]] = {}
        for ts, fields in entries:
            slot = merged.get(ts)
            flat = jio.flatten(fields)
            if slot is None:
                merged[ts] = flat
            else:
                slot.update(flat)
        meta = self._unsaved.get(meta_path) or read_metadata(meta_path)
        if not isinstance(meta, dict):
            meta = {
                "trackId": f"local-track-{folder}",
                "topic": topic,
                "columns": [],
                "totalEntries": 0,
                "firstTimestamp": None,
                "lastTimestamp": None,
                "createdAt": jio.utc_now_iso(),
            }
        columns = set(meta.get("columns") or [])
        first = meta.get("firstTimestamp")
        last = meta.get("lastTimestamp")
        lines = []
        for ts in sorted(merged):
            fields = merged[ts]
            columns.update(fields)
            if first is None or ts < first:
                first = ts
            if last is None or ts > last:
                last = ts
            lines.append(jio.dumps({"timestamp": ts, **{k: v for k, v in fields.items() if k != "timestamp"}}))
        lines.append("")
        jio.append_bytes(data_path, "\n".join(lines).encode("utf-8"))
        meta["columns"] = sorted(columns)
        meta["totalEntries"] = (meta.get("totalEntries") or 0) + len(merged)
        meta["firstTimestamp"] = first
        meta["lastTimestamp"] = last
        self._save_counter(meta_path, meta)
