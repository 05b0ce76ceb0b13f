"""The files of one run folder, as docs/tracking-format.md lays them out (ML-Dash's local storage).

``RunStore`` holds the primitives only: append a batch of log records / metric points / track entries,
merge parameters, store a file, rewrite experiment.json. Buffering, threads and the lifecycle live above
it (``_writer.py``, ``run.py``); validation of user values happens at the call that passes them.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import random
import shutil
import threading
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from . import _jsonio as jio
from ._paths import UNNAMED_STREAM, inside
from .errors import ChecksumMismatchError, CorruptRecordError, InvalidTrackingNameError, RunFileNotFoundError

LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")
FILES_METADATA = ".files_metadata.json"
SPACE_RESERVE = ".space-reserve"

_id_lock = threading.Lock()
_last_id = 0


def snowflake_id() -> str:
    """ML-Dash's local file id: ``(milliseconds << 12) | random 12 bits``, as a decimal string; unique and
    increasing within this process."""
    global _last_id
    with _id_lock:
        candidate = (int(time.time() * 1000) << 12) | random.randint(0, 4095)
        if candidate <= _last_id:
            candidate = _last_id + 1
        _last_id = candidate
        return str(candidate)


class SidecarWriteError(Exception):
    """The data of a batch was appended, but a counter file beside it (metadata.json, .log_sequence) could
    not be rewritten. The batch must not be written again; the counter is rewritten at the next batch or
    by ``RunStore.save_unsaved()``."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


def read_json_retry(path: str, default: Any = None) -> Any:
    """A JSON document another writer may be rewriting in place (ML-Dash does): retry once after a short
    pause, then raise CorruptRecordError. ``default`` when the file is missing."""
    try:
        return jio.read_json(path, default, strict=True)
    except CorruptRecordError:
        time.sleep(0.05)
        return jio.read_json(path, default, strict=True)


def read_metadata(path: str) -> Any:
    """A stream's or the files' metadata document, or None when it is missing or unreadable: it is then
    rebuilt, as ML-Dash does (a stream's index comes from its data file)."""
    try:
        return read_json_retry(path)
    except CorruptRecordError:
        return None


class RunStore:
    """Reads and writes the files of one run folder. Thread-safe for one writer thread per stream."""

    def __init__(self, run_dir: str) -> None:
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

    # ---------------------------------------------------------------------------------- paths

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    @property
    def experiment_file(self) -> str:
        return self.path("experiment.json")

    def metric_dir(self, name: Optional[str]) -> str:
        return self.path("metrics", UNNAMED_STREAM if name is None else name)

    # ---------------------------------------------------------------------------------- experiment.json

    def read_experiment(self) -> Optional[Dict[str, Any]]:
        doc = read_json_retry(self.experiment_file)
        return doc if isinstance(doc, dict) else None

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

    # ---------------------------------------------------------------------------------- space reserve

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

    # ---------------------------------------------------------------------------------- parameters

    def read_params(self) -> Dict[str, Any]:
        doc = read_json_retry(self.path("parameters.json"))
        if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
            return doc["data"]
        return {}

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

    @staticmethod
    def _last_record(path: str) -> Optional[Any]:
        """The last complete line of a JSONL file that parses (None when there is none)."""
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return None
        with f:
            end = f.seek(0, os.SEEK_END)
            block = 65536
            while True:
                start = max(0, end - block)
                f.seek(start)
                data = f.read(end - start)
                cut = data.rfind(b"\n")
                lines = data[:cut].split(b"\n") if cut >= 0 else []
                if start > 0 and lines:
                    lines = lines[1:]  # the first one may begin before the window
                for line in reversed(lines):
                    if line.strip():
                        try:
                            return jio.loads(line.decode("utf-8"))
                        except (ValueError, UnicodeDecodeError):
                            continue
                if start == 0:
                    return None
                block *= 4

    # ---------------------------------------------------------------------------------- logs

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

    # ---------------------------------------------------------------------------------- metrics

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

    # ---------------------------------------------------------------------------------- files

    def _files_dir(self) -> str:
        return self.path("files")

    def stored_file_path(self, record: Dict[str, Any]) -> str:
        folder = str(record.get("path") or "").strip("/")
        parts = [p for p in folder.split("/") if p] if folder else []
        return os.path.join(self._files_dir(), *parts, str(record.get("id")), str(record.get("filename")))

    def load_files_metadata(self) -> Dict[str, Any]:
        doc = read_metadata(os.path.join(self._files_dir(), FILES_METADATA))
        if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
            return {"files": []}
        return doc

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
        """Stores a file (a path to copy, or bytes) under ``files/<path>/<id>/<filename>`` and records it.
        Returns the stored file's absolute path and its record. A failed write leaves nothing behind (so it
        can be done again whole, with the same ``file_id``)."""
        files_dir = self._files_dir()
        os.makedirs(files_dir, exist_ok=True)
        file_id = file_id or snowflake_id()
        folder_parts = [p for p in path.strip("/").split("/") if p]
        target_dir = os.path.join(files_dir, *folder_parts, file_id)
        target = os.path.join(target_dir, filename)
        # Names are checked before this point; a symlinked folder inside files/ is the only way out left.
        if not inside(files_dir, os.path.join(files_dir, *folder_parts)):
            raise InvalidTrackingNameError("file folder", path, "it resolves outside the run's files folder")
        os.makedirs(target_dir, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        try:
            with open(target, "wb") as out:
                if isinstance(source, (bytes, bytearray, memoryview)):
                    data = bytes(source)
                    digest.update(data)
                    out.write(data)
                    size = len(data)
                else:
                    with open(source, "rb") as src:
                        while True:
                            chunk = src.read(1 << 20)
                            if not chunk:
                                break
                            digest.update(chunk)
                            out.write(chunk)
                            size += len(chunk)
        except BaseException:
            shutil.rmtree(target_dir, ignore_errors=True)
            raise
        record = file_record(
            file_id, self._experiment_id_fields(prefix), path, filename, size, digest.hexdigest(),
            description=description, tags=tags, bindrs=bindrs, metadata=metadata,
        )
        try:
            self._register_file(files_dir, record)
        except BaseException:
            shutil.rmtree(target_dir, ignore_errors=True)
            raise
        return target, record

    def planned_file_path(self, path: str, file_id: str, filename: str) -> str:
        """Where ``save_file`` stores a file with that id."""
        return self.stored_file_path({"path": path, "id": file_id, "filename": filename})

    def _register_file(self, files_dir: str, record: Dict[str, Any]) -> None:
        path, filename = record["path"], record["filename"]
        with self._lock:
            doc = self.load_files_metadata()
            replaced = False
            for i, existing in enumerate(doc["files"]):
                if (
                    isinstance(existing, dict)
                    and existing.get("path") == path
                    and existing.get("filename") == filename
                    and existing.get("deletedAt") is None
                ):
                    old_dir = os.path.dirname(self.stored_file_path(existing))
                    if inside(files_dir, old_dir) and os.path.realpath(old_dir) != os.path.realpath(files_dir):
                        shutil.rmtree(old_dir, ignore_errors=True)
                    doc["files"][i] = record
                    replaced = True
                    break
            if not replaced:
                doc["files"].append(record)
            jio.write_json_atomic(os.path.join(files_dir, FILES_METADATA), doc)

    @staticmethod
    def _experiment_id_fields(prefix: str) -> str:
        segments = prefix.split("/")
        project = segments[1] if len(segments) > 1 else segments[0]
        return f"{project}/{prefix}"

    def list_files(self, path: Optional[str] = None) -> List[Dict[str, Any]]:
        """Live file records, optionally those in folder ``path`` and below."""
        out = []
        for record in self.load_files_metadata()["files"]:
            if not isinstance(record, dict) or record.get("deletedAt") is not None:
                continue
            if path not in (None, "/"):
                rec_path = str(record.get("path") or "/")
                if not (rec_path == path or rec_path.startswith(path.rstrip("/") + "/")):
                    continue
            out.append(record)
        return out

    def find_file(self, path: str, filename: str) -> Optional[Dict[str, Any]]:
        for record in self.list_files():
            rec_path = record.get("path") or "/"
            if (rec_path if rec_path.startswith("/") else "/" + rec_path) == path and record.get("filename") == filename:
                return record
        return None

    def copy_file_out(self, record: Dict[str, Any], dest: str) -> str:
        """Copies a stored file to ``dest``, verifying its checksum; returns ``dest``."""
        source = self.stored_file_path(record)
        if not inside(self._files_dir(), source) or not os.path.isfile(source):
            raise RunFileNotFoundError(f"{record.get('path')}/{record.get('filename')}")
        digest = hashlib.sha256()
        parent = os.path.dirname(os.path.abspath(dest))
        os.makedirs(parent, exist_ok=True)
        temp = f"{dest}.{os.getpid()}.tmp"
        with open(source, "rb") as src, open(temp, "wb") as out:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
        expected = record.get("checksum")
        if expected and digest.hexdigest() != expected:
            os.unlink(temp)
            raise ChecksumMismatchError(str(record.get("filename")), str(expected), digest.hexdigest())
        os.replace(temp, dest)
        return dest

    # ---------------------------------------------------------------------------------- reading

    def metric_names(self) -> List[Optional[str]]:
        """Names of the metric streams (None for the unnamed stream), sorted."""
        mdir = self.path("metrics")
        try:
            entries = sorted(os.listdir(mdir))
        except FileNotFoundError:
            return []
        out: List[Optional[str]] = []
        for entry in entries:
            if entry.startswith(".") or entry.endswith(".tmp"):
                continue
            full = os.path.join(mdir, entry)
            if os.path.isdir(full) and (
                os.path.exists(os.path.join(full, "data.jsonl")) or os.path.exists(os.path.join(full, "metadata.json"))
            ):
                out.append(None if entry == UNNAMED_STREAM else entry)
        return out

    def iter_metric(self, name: Optional[str], stats: Dict[str, int]) -> Iterator[Dict[str, Any]]:
        """Yields the metric's point records; counts ``torn`` and ``skipped`` lines into ``stats``."""
        return self._iter_jsonl(os.path.join(self.metric_dir(name), "data.jsonl"), stats)

    def iter_logs(self, stats: Dict[str, int]) -> Iterator[Dict[str, Any]]:
        return self._iter_jsonl(self.path("logs", "logs.jsonl"), stats)

    def iter_track(self, folder: str, stats: Dict[str, int]) -> Iterator[Dict[str, Any]]:
        return self._iter_jsonl(self.path("tracks", folder, "data.jsonl"), stats)

    @staticmethod
    def _iter_jsonl(path: str, stats: Dict[str, int]) -> Iterator[Dict[str, Any]]:
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return
        with f:
            rest = b""
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if not line.strip():
                        continue
                    try:
                        record = jio.loads(line.decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        stats["skipped"] = stats.get("skipped", 0) + 1
                        continue
                    if isinstance(record, dict):
                        yield record
                    else:
                        stats["skipped"] = stats.get("skipped", 0) + 1
            if rest.strip():
                stats["torn"] = stats.get("torn", 0) + 1


def source_digest(source: Union[str, bytes]) -> Tuple[str, int]:
    """The sha256 (hex) and size of bytes or of the file at a path."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest(), len(source)
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def iter_run_dirs(root: str) -> Iterable[str]:
    """Folders under ``root`` holding an experiment.json; does not descend into a run's own folders."""
    skip = {"logs", "metrics", "files", "tracks"}
    for current, dirs, files in os.walk(root):
        if "experiment.json" in files:
            yield current
            dirs[:] = [d for d in dirs if d not in skip and not d.startswith(".")]
        else:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
        dirs.sort()


def file_record(
    file_id: str,
    experiment_id: str,
    path: str,
    filename: str,
    size: int,
    checksum: str,
    *,
    description: Optional[str],
    tags: Optional[List[str]],
    bindrs: Optional[List[str]],
    metadata: Any,
) -> Dict[str, Any]:
    """One entry of files/.files_metadata.json, as ML-Dash writes it (also what remote mode reports)."""
    now = jio.utc_now_iso()
    return {
        "id": file_id,
        "experimentId": experiment_id,
        "path": path,
        "filename": filename,
        "description": description,
        "tags": list(tags or []),
        "bindrs": list(bindrs or []),
        "contentType": mimetypes.guess_type(filename)[0] or "application/octet-stream",
        "sizeBytes": size,
        "checksum": checksum,
        "metadata": metadata,
        "uploadedAt": now,
        "updatedAt": now,
        "deletedAt": None,
    }
