"""A run's store in remote mode: the primitives of ``RunStore`` (append logs / points / track entries, merge
parameters, store a file, rewrite experiment.json) turned into batches for the server. With ``local=True``
the run's folder is written as well (the local write first: its checks are the reference)."""

from __future__ import annotations

import copy
import hashlib
import json
import mimetypes
import os
import re
import shutil
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _jsonio as jio
from ._remote_http import wire_dumps
from ._remote_sender import RemoteSender
from ._store import RunStore, SidecarWriteError, file_record
from .errors import InvalidArgumentError

FINAL = ("COMPLETED", "FAILED", "CANCELLED")
_TS_LAST = re.compile(r'[,{]"_ts":(-?[0-9][0-9.eE+-]*)\}$')


def wire_fields(fields: Dict[str, Any]) -> Dict[str, Any]:
    """Metric fields as sent: any JSON values (non-finite floats become their names when the batch is
    serialised, at any depth)."""
    return {str(key): value for key, value in fields.items()}


class RemoteRunStore(RunStore):
    def __init__(self, run_dir: str, prefix: str, make_sender: Callable[[Dict[str, Any]], RemoteSender], local: bool) -> None:
        super().__init__(run_dir)
        self.prefix = prefix
        self.local = local
        self._make_sender = make_sender
        self.sender: Optional[RemoteSender] = None
        self._doc: Optional[Dict[str, Any]] = None
        self._params: Dict[str, Any] = {}
        self.saved_files: List[Dict[str, Any]] = []

    # ---------------------------------------------------------------------------------- experiment.json

    def read_experiment(self) -> Optional[Dict[str, Any]]:
        if self.local:
            return super().read_experiment()
        return copy.deepcopy(self._doc) if self._doc is not None else None

    def update_experiment(self, change: Callable[[Dict[str, Any]], None]) -> Dict[str, Any]:
        with self._lock:
            before = (self._doc or {}).get("status")
            if self.local:
                doc = super().update_experiment(change)
            else:
                doc = copy.deepcopy(self._doc) if self._doc is not None else {}
                change(doc)
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

    def ensure_folders(self) -> None:
        if self.local:
            super().ensure_folders()

    # ---------------------------------------------------------------------------------- parameters

    def read_params(self) -> Dict[str, Any]:
        return super().read_params() if self.local else dict(self._params)

    def merge_params(self, flat: Dict[str, Any]) -> Dict[str, Any]:
        result = super().merge_params(flat) if self.local else None
        self._params.update(flat)
        self._send({"params": dict(flat)})
        return result if result is not None else dict(self._params)

    # ---------------------------------------------------------------------------------- streams

    def append_logs(self, encoded: List[str]) -> None:
        if not encoded:
            return
        sidecar = self._local(lambda: super(RemoteRunStore, self).append_logs(encoded))
        logs = []
        for text in encoded:
            record = jio.loads(text)
            log = {"level": record["level"], "message": record["message"], "timestamp": record["timestamp"]}
            if isinstance(record.get("metadata"), dict) and record["metadata"]:
                log["metadata"] = record["metadata"]
            logs.append(log)
        self._send({"logs": logs})
        if sidecar is not None:
            raise sidecar

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
        sidecar = self._local(lambda: super(RemoteRunStore, self).append_metric(name, points, description, tags, metadata))
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
        if sidecar is not None:
            raise sidecar

    def _local(self, append: Callable[[], None]) -> Optional[SidecarWriteError]:
        """Appends to the run's folder too (``local``). A failed append raises before anything is sent (the
        writer retries the whole batch); a counter file that failed after the data was written does not
        stop the batch from being sent: it is returned, to raise once sent."""
        if not self.local:
            return None
        try:
            append()
        except SidecarWriteError as error:
            return error
        return None

    def append_track(self, topic: str, folder: str, entries: List[Tuple[float, Dict[str, Any]]]) -> None:
        if not entries:
            return
        sidecar = self._local(lambda: super(RemoteRunStore, self).append_track(topic, folder, entries))
        points = [{"fields": wire_fields(fields), "ts": ts} for ts, fields in entries]
        self._send({"metrics": [{"stream": f"track.{folder}", "points": points}]})
        if sidecar is not None:
            raise sidecar

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
        folder = path.strip("/")
        sender = self._sender()
        if self.local:
            target, record = super().save_file(
                path, filename, source, prefix, description, tags, bindrs, metadata, file_id=file_id
            )
            sender.enqueue_file(
                {
                    "folder": folder,
                    "filename": filename,
                    "sha256": record["checksum"],
                    "size": record["sizeBytes"],
                    "contentType": record["contentType"],
                    "source": target,
                    "staged": False,
                }
            )
            return target, record
        staged = sender.staged_path()
        os.makedirs(os.path.dirname(staged), exist_ok=True)
        try:
            if isinstance(source, (bytes, bytearray, memoryview)):
                with open(staged, "wb") as f:
                    f.write(bytes(source))
            else:
                shutil.copyfile(source, staged)
        except BaseException:
            try:
                os.unlink(staged)  # a partial copy would hold the space a full disk needs back
            except OSError:
                pass
            raise
        digest = hashlib.sha256()
        with open(staged, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        size = os.path.getsize(staged)
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        sender.enqueue_file(
            {"folder": folder, "filename": filename, "sha256": digest.hexdigest(), "size": size, "contentType": content_type, "source": staged, "staged": True}
        )
        record = file_record(
            digest.hexdigest()[:16], self._experiment_id_fields(prefix), path, filename, size, digest.hexdigest(),
            description=description, tags=tags, bindrs=bindrs, metadata=metadata,
        )
        self.saved_files = [r for r in self.saved_files if not (r["path"] == path and r["filename"] == filename)]
        self.saved_files.append(record)
        return staged, record

    def list_files(self, path: Optional[str] = None) -> List[Dict[str, Any]]:
        if self.local:
            return super().list_files(path)
        folder = "/" + (path or "").strip("/")
        return [r for r in self.saved_files if folder == "/" or r["path"] == folder or r["path"].startswith(folder + "/")]

    def find_file(self, path: str, filename: str) -> Optional[Dict[str, Any]]:
        if self.local:
            return super().find_file(path, filename)
        for record in self.saved_files:
            if record["path"].strip("/") == path.strip("/") and record["filename"] == filename:
                return record
        return None

    # ---------------------------------------------------------------------------------- sending

    def _sender(self) -> RemoteSender:
        if self.sender is None:
            self.sender = self._make_sender({"prefix": self.prefix})
        return self.sender

    def _send(self, fields: Dict[str, Any]) -> None:
        self._sender().enqueue_batch(fields)

    def close_remote(self, timeout: float) -> bool:
        """Waits (at most ``timeout`` s) for the server to acknowledge everything, then stops the sender."""
        sender = self.sender
        if sender is None:
            return True
        done = sender.drain(timeout)
        sender.stop()
        return done


REMOTE_OPTIONS = {"flush_timeout", "close_timeout", "buffer_dir", "retry_delay", "max_retry_delay", "quiet", "max_memory"}


def open_remote_store(
    prefix: str,
    run_dir: str,
    dash_url: Any,
    token: Optional[str],
    local: bool,
    options: Dict[str, Any],
    attach: bool = False,
) -> Optional[Tuple[RemoteRunStore, Dict[str, Any]]]:
    """The store of a run in remote mode, or None for local mode (no ``dash_url`` and no ``$LABRUN_URL``,
    or ``dash_url=False``). Bad URLs and unknown options raise ``InvalidArgumentError`` at the call."""
    if dash_url is False:
        return None
    url = dash_url if isinstance(dash_url, str) and dash_url else os.environ.get("LABRUN_URL") or None
    if not url:
        return None
    if not (url.startswith("http://") or url.startswith("https://")):
        raise InvalidArgumentError(
            f"dash_url {url!r} is not an http(s) URL: pass e.g. dash_url='http://127.0.0.1:4400' (or set LABRUN_URL).",
            {"dash_url": url},
        )
    unknown = set(options) - REMOTE_OPTIONS
    if unknown:
        raise InvalidArgumentError(
            f"Unknown remote option(s) {sorted(unknown)}; known: {sorted(REMOTE_OPTIONS)}.", {"remote": sorted(unknown)}
        )
    tok = token if token is not None else os.environ.get("LABRUN_TOKEN") or None

    def make_sender(upsert: Dict[str, Any]) -> RemoteSender:
        return RemoteSender(
            url,
            tok,
            prefix,
            upsert,
            buffer_root=options.get("buffer_dir"),
            retry_delay=float(options.get("retry_delay", 0.25)),
            max_retry_delay=float(options.get("max_retry_delay", 30.0)),
            quiet=bool(options.get("quiet", False)),
            attach=attach,
            max_memory=int(options.get("max_memory", 64 * 1024 * 1024)),
        )

    settings = {"url": url, "token": tok, "local": bool(local), **options}
    return RemoteRunStore(run_dir, prefix, make_sender, bool(local)), settings
