"""Reading one run folder, as docs/tracking-format.md lays it out (ML-Dash's local storage): experiment.json,
parameters, the JSONL streams (a torn last line skipped and counted), stored files. What a ``RunView`` reads,
and what the local sink (``_local_sink.py``) writes."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional

from . import _jsonio as jio
from ._paths import UNNAMED_STREAM, inside
from .errors import ChecksumMismatchError, CorruptRecordError, RunFileNotFoundError

LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")
FILES_METADATA = ".files_metadata.json"


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


class RunFolder:
    """Reads the files of one run folder (nothing here writes)."""

    def __init__(self, run_dir: str) -> None:
        self.dir = run_dir

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    @property
    def experiment_file(self) -> str:
        return self.path("experiment.json")

    def metric_dir(self, name: Optional[str]) -> str:
        return self.path("metrics", UNNAMED_STREAM if name is None else name)


    def read_experiment(self) -> Optional[Dict[str, Any]]:
        doc = read_json_retry(self.experiment_file)
        return doc if isinstance(doc, dict) else None

    def read_params(self) -> Dict[str, Any]:
        doc = read_json_retry(self.path("parameters.json"))
        if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
            return doc["data"]
        return {}

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

    def planned_file_path(self, path: str, file_id: str, filename: str) -> str:
        """Where ``save_file`` stores a file with that id."""
        return self.stored_file_path({"path": path, "id": file_id, "filename": filename})

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


