"""Stored files of a run folder: ``save_file`` copies a file (or writes bytes) to
``files/<folder>/<id>/<filename>`` and records it in ``files/.files_metadata.json``; ``delete_file`` marks a
record deleted (ML-Dash's ``deletedAt``). Part of the local sink (``_local_sink.py``)."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _jsonio as jio
from ._file_records import experiment_id, file_record, snowflake_id
from ._paths import inside
from ._run_folder import FILES_METADATA, RunFolder
from .errors import InvalidTrackingNameError


class LocalFiles(RunFolder):
    """The file writes of ``LocalSink`` (which holds ``_lock``)."""

    _lock: "threading.RLock"

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
            file_id, experiment_id(prefix), path, filename, size, digest.hexdigest(),
            description=description, tags=tags, bindrs=bindrs, metadata=metadata,
        )
        try:
            self._register_file(files_dir, record)
        except BaseException:
            shutil.rmtree(target_dir, ignore_errors=True)
            raise
        return target, record

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


    def delete_file(self, folder: str, filename: str) -> Optional[Dict[str, Any]]:
        """Marks the live record of ``folder``/``filename`` deleted (its content stays on disk); returns the
        record, or None when there is none."""
        with self._lock:
            doc = self.load_files_metadata()
            for record in doc["files"]:
                if (
                    isinstance(record, dict)
                    and record.get("deletedAt") is None
                    and _norm(record.get("path")) == folder
                    and record.get("filename") == filename
                ):
                    record["deletedAt"] = record["updatedAt"] = jio.utc_now_iso()
                    jio.write_json_atomic(os.path.join(self._files_dir(), FILES_METADATA), doc)
                    return record
        return None


def _norm(path: Any) -> str:
    text = str(path or "/")
    return text if text.startswith("/") else "/" + text
