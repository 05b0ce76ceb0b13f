"""A stored file's record (``files/.files_metadata.json``, ML-Dash's fields) and what it is made of: the
local file id, the experiment id, the checksum."""

from __future__ import annotations

import hashlib
import mimetypes
import random
import threading
import time
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _jsonio as jio

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



def experiment_id(prefix: str) -> str:
    """ML-Dash's ``experimentId`` of a file: ``<project>/<prefix>``."""
    segments = prefix.split("/")
    project = segments[1] if len(segments) > 1 else segments[0]
    return f"{project}/{prefix}"


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
