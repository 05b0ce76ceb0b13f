"""The remote sink: a run's primitives (append logs / points / track entries, merge parameters, store a file,
rewrite experiment.json) turned into batches for the labrun server, sent by ``RemoteSender`` (buffered on disk
first). It keeps no folder: what a remote-only run reads back about itself (its record, parameters, files) is
what it sent. With ``local=True`` the run composes it with the local sink (``TeeSink``, ``_sink.py``)."""

from __future__ import annotations

import copy
import hashlib
import json
import mimetypes
import os
import re
import shutil
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from . import _jsonio as jio
from ._file_records import experiment_id, file_record
from ._remote_http import wire_dumps
from ._remote_sender import RemoteSender
from ._run_folder import RunFolder

FINAL = ("COMPLETED", "FAILED", "CANCELLED")
_TS_LAST = re.compile(r'[,{]"_ts":(-?[0-9][0-9.eE+-]*)\}$')


def wire_fields(fields: Dict[str, Any]) -> Dict[str, Any]:
    """Metric fields as sent: any JSON values (non-finite floats become their names when the batch is
    serialised, at any depth)."""
    return {str(key): value for key, value in fields.items()}


class RemoteSink:
    """Sends one run's data to the server. The sender starts with the first experiment.json change (the run's
    upsert carries its description, tags, bindrs, metadata)."""

    def __init__(self, run_dir: str, prefix: str, make_sender: Callable[[Dict[str, Any]], RemoteSender]) -> None:
        self.dir = run_dir
        self.prefix = prefix
        self._make_sender = make_sender
        self.sender: Optional[RemoteSender] = None
        self._lock = threading.RLock()
        self._doc: Optional[Dict[str, Any]] = None
        self._params: Dict[str, Any] = {}
        self.saved_files: List[Dict[str, Any]] = []
        # Metrics, logs and tracks are not kept: read back, a remote-only run has none here (as its folder).
        self._folder = RunFolder(run_dir)

    # ---------------------------------------------------------------------------------- experiment.json

    def read_experiment(self) -> Optional[Dict[str, Any]]:
        return copy.deepcopy(self._doc) if self._doc is not None else None

    def update_experiment(self, change: Callable[[Dict[str, Any]], None]) -> Dict[str, Any]:
        with self._lock:
            doc = copy.deepcopy(self._doc) if self._doc is not None else {}
            change(doc)
            return self.adopt_experiment(doc)

    def adopt_experiment(self, doc: Dict[str, Any]) -> Dict[str, Any]:
        """Takes ``doc`` as the run's record (the local sink's, in a tee): starts the sender at the first one,
        and sends a new final status in its own batch, after everything logged before it."""
        with self._lock:
            before = (self._doc or {}).get("status")
            self._doc = doc
            if self.sender is None:
                upsert: Dict[str, Any] = {"prefix": self.prefix}
                for key in ("description", "tags", "bindrs", "metadata"):
                    if doc.get(key) is not None:
                        upsert[key] = doc[key]
                self.sender = self._make_sender(upsert)
            status = doc.get("status")
            if status in FINAL and status != before:
                error = doc.get("error") if isinstance(doc.get("error"), dict) else None
                reason = doc.get("statusReason")
                text = reason or (f"{error.get('name')}: {error.get('message')}" if error else None)
                change_doc: Dict[str, Any] = {"status": status}
                if text:
                    change_doc["error"] = str(text)[:100_000]
                if isinstance(doc.get("endedAt"), str):
                    change_doc["at"] = doc["endedAt"]
                self.sender.enqueue_batch({"status": change_doc}, final=True)
            return doc

    # Nothing on disk to prepare or set aside: the buffer is the sender's.
    def ensure_folders(self) -> None:
        return None

    def reserve_space(self) -> None:
        return None

    def release_space(self) -> None:
        return None

    # ---------------------------------------------------------------------------------- parameters

    def read_params(self) -> Dict[str, Any]:
        return dict(self._params)

    def merge_params(self, flat: Dict[str, Any]) -> Dict[str, Any]:
        self._params.update(flat)
        self._send({"params": dict(flat)})
        return dict(self._params)

    # ---------------------------------------------------------------------------------- streams

    def append_logs(self, encoded: List[str]) -> None:
        if not encoded:
            return
        logs = []
        for text in encoded:
            record = jio.loads(text)
            log = {"level": record["level"], "message": record["message"], "timestamp": record["timestamp"]}
            if isinstance(record.get("metadata"), dict) and record["metadata"]:
                log["metadata"] = record["metadata"]
            logs.append(log)
        self._send({"logs": logs})

    def append_metric(
        self,
        name: Optional[str],
        points: List[str],
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> None:
        if not points:
            return
        parts = []
        for text in points:
            # The writer encodes a point with `_ts` last: `{...,"_ts":1.5}` becomes `{"fields":{...},"ts":1.5}`
            # by slicing, no parsing (the hot path). Points holding NaN/Infinity tokens are re-encoded.
            match = _TS_LAST.search(text)
            if match is None or "NaN" in text or "Infinity" in text:
                data = jio.loads(text)
                ts = data.pop("_ts", None)
                point = {"fields": wire_fields(data), "ts": ts if isinstance(ts, (int, float)) else 0}
                parts.append(wire_dumps(point))
            else:
                start = match.start()
                fields = text[:start] + "}" if start > 1 else "{}"
                parts.append(f'{{"fields":{fields},"ts":{match.group(1)}}}')
        stream = json.dumps("" if name is None else name)
        self._sender().enqueue_text(f'"metrics":[{{"stream":{stream},"points":[{",".join(parts)}]}}]')

    def append_track(self, topic: str, folder: str, entries: List[Tuple[float, Dict[str, Any]]]) -> None:
        if not entries:
            return
        points = [{"fields": wire_fields(fields), "ts": ts} for ts, fields in entries]
        self._send({"metrics": [{"stream": f"track.{folder}", "points": points}]})

    # ---------------------------------------------------------------------------------- files

    def save_file(
        self,
        path: str,
        filename: str,
        source: Union[str, bytes, bytearray, memoryview],
        prefix: str,
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        bindrs: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        file_id: Optional[str] = None,
    ) -> Tuple[str, Dict[str, Any]]:
        """Copies the file into the buffer (staged) and queues its upload; returns the staged copy and a record."""
        sender = self._sender()
        staged = sender.staged_path()
        held = _stage_copy(source, staged)
        digest = hashlib.sha256()
        if held is not None:
            digest.update(held)
            size = len(held)
        else:
            with open(staged, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
            size = os.path.getsize(staged)
        self.upload(path, filename, staged, digest.hexdigest(), size, staged=True, data=held)
        record = file_record(
            digest.hexdigest()[:16], experiment_id(prefix), path, filename, size, digest.hexdigest(),
            description=description, tags=tags, bindrs=bindrs, metadata=metadata,
        )
        self.saved_files = [r for r in self.saved_files if not (r["path"] == path and r["filename"] == filename)]
        self.saved_files.append(record)
        return staged, record

    def upload(
        self, path: str, filename: str, source: str, sha256: str, size: int, staged: bool, data: Optional[bytes] = None
    ) -> None:
        """Queues the upload of the file at ``source`` (a staged copy is deleted once uploaded)."""
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self._sender().enqueue_file(
            {
                "folder": path.strip("/"),
                "filename": filename,
                "sha256": sha256,
                "size": size,
                "contentType": content_type,
                "source": source,
                "staged": staged,
            },
            data,
        )

    def delete_file(self, folder: str, filename: str) -> Optional[Dict[str, Any]]:
        return None  # not sent: the server keeps what was uploaded

    def list_files(self, path: Optional[str] = None) -> List[Dict[str, Any]]:
        folder = "/" + (path or "").strip("/")
        return [r for r in self.saved_files if folder == "/" or r["path"] == folder or r["path"].startswith(folder + "/")]

    def find_file(self, path: str, filename: str) -> Optional[Dict[str, Any]]:
        for record in self.saved_files:
            if record["path"].strip("/") == path.strip("/") and record["filename"] == filename:
                return record
        return None

    # ---------------------------------------------------------------------------------- what is not kept here

    def path(self, *parts: str) -> str:
        return self._folder.path(*parts)

    def metric_dir(self, name: Optional[str]) -> str:
        return self._folder.metric_dir(name)

    def metric_names(self) -> List[Optional[str]]:
        return self._folder.metric_names()

    def iter_metric(self, name: Optional[str], stats: Dict[str, int]) -> Iterator[Dict[str, Any]]:
        return self._folder.iter_metric(name, stats)

    def iter_logs(self, stats: Dict[str, int]) -> Iterator[Dict[str, Any]]:
        return self._folder.iter_logs(stats)

    def iter_track(self, folder: str, stats: Dict[str, int]) -> Iterator[Dict[str, Any]]:
        return self._folder.iter_track(folder, stats)

    def stored_file_path(self, record: Dict[str, Any]) -> str:
        return self._folder.stored_file_path(record)

    def planned_file_path(self, path: str, file_id: str, filename: str) -> str:
        return self._folder.planned_file_path(path, file_id, filename)

    def copy_file_out(self, record: Dict[str, Any], dest: str) -> str:
        return self._folder.copy_file_out(record, dest)

    @staticmethod
    def _last_record(path: str) -> Optional[Any]:
        return RunFolder._last_record(path)

    # ---------------------------------------------------------------------------------- sending

    def _sender(self) -> RemoteSender:
        if self.sender is None:
            self.sender = self._make_sender({"prefix": self.prefix})
        return self.sender

    def _send(self, fields: Dict[str, Any]) -> None:
        self._sender().enqueue_batch(fields)

    def close(self, timeout: float) -> bool:
        """Waits (at most ``timeout`` s) for the server to acknowledge everything, then stops the sender."""
        sender = self.sender
        if sender is None:
            return True
        done = sender.drain(timeout)
        sender.stop()
        return done


def _stage_copy(source: Union[str, bytes, bytearray, memoryview], staged: str) -> Optional[bytes]:
    """Copies the bytes to ``staged`` in the buffer; when the buffer's disk refuses them (full), returns the bytes
    to hold in memory instead (the sender caps them), so a save never raises a disk error into training."""
    try:
        os.makedirs(os.path.dirname(staged), exist_ok=True)
        if isinstance(source, (bytes, bytearray, memoryview)):
            with open(staged, "wb") as f:
                f.write(bytes(source))
        else:
            shutil.copyfile(source, staged)
        return None
    except OSError:
        try:
            os.unlink(staged)  # a partial copy would hold the space a full disk needs back
        except OSError:
            pass
        if isinstance(source, (bytes, bytearray, memoryview)):
            return bytes(source)
        with open(source, "rb") as f:
            return f.read()
