"""The on-disk buffer of remote mode (``<LABRUN_HOME>/buffer/<prefix>/``, the same files as the TypeScript SDK's
run-buffer.ts, so ``labrun sync`` sends either): where it is, atomic writes, a queued item and its files
removed once acknowledged or moved to ``rejected/``."""

from __future__ import annotations

import datetime
import json
import os
import threading
from typing import Any, Dict, Optional, Tuple


def default_buffer_root() -> str:
    home = os.environ.get("LABRUN_HOME") or os.path.join(os.path.expanduser("~"), ".labrun")
    return os.path.join(os.path.abspath(home), "buffer")


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def _write_atomic(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        # A half-written temporary file would keep the space a full disk needs back.
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _code(error: BaseException) -> str:
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else type(error).__name__


class _Item:
    __slots__ = ("kind", "seq", "path", "text", "upload", "unwritten", "data")

    def __init__(self, kind: str, seq: int, path: Optional[str], text: Optional[str], upload: Optional[Dict[str, Any]]):
        self.kind = kind
        self.seq = seq
        self.path = path
        self.text = text
        self.upload = upload
        # While the buffer refused its file (a full disk): (name, envelope), written again at stop().
        self.unwritten: Optional[Tuple[str, str]] = None
        # A file's bytes while the buffer refused its staged copy (written at stop() if the disk takes them).
        self.data: Optional[bytes] = None


def remove_buffered(item: _Item) -> None:
    """Deletes an acknowledged item's buffer file (and its staged copy, for an upload)."""
    if item.path:
        try:
            os.remove(item.path)
        except OSError:
            pass
    if item.kind == "file" and item.upload and item.upload.get("staged"):
        try:
            os.remove(item.upload["source"])
        except OSError:
            pass


def reject_buffered(item: _Item, error: BaseException) -> None:
    """Moves a refused item's buffer file to ``rejected/`` with the server's answer beside it."""
    if item.path:
        rejected = os.path.join(os.path.dirname(item.path), "rejected")
        try:
            os.makedirs(rejected, exist_ok=True)
            target = os.path.join(rejected, os.path.basename(item.path))
            os.replace(item.path, target)
            _write_atomic(target[: -len(".json")] + ".error.json", json.dumps({"code": _code(error), "message": str(error), "at": _now()}) + "\n")
        except OSError:
            pass
