"""A run's record in experiment.json, through its sink: created or re-opened (ML-Dash's upsert), RUNNING with a
heartbeat while an owner writes, then its final status once (the TypeScript SDK's run-lifecycle.ts). An attached
writer only creates the record when missing and never touches the status."""

from __future__ import annotations

import errno
import os
import traceback
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _jsonio as jio
from . import _process as proc
from ._writer import BackgroundWriter

LABRUN_FORMAT = 1


def error_record(error: Union[BaseException, str, None]) -> Optional[Dict[str, Any]]:
    """experiment.json's ``error``: name, message, code and stack of an exception (or a message)."""
    if error is None:
        return None
    if isinstance(error, BaseException):
        code = getattr(error, "code", None)
        stack = "".join(traceback.format_exception(type(error), error, error.__traceback__)) if error.__traceback__ else None
        return {
            "name": type(error).__name__,
            "message": str(error),
            "code": code if isinstance(code, str) else None,
            "stack": stack,
        }
    return {"name": "Error", "message": str(error), "code": None, "stack": None}


def settle(status: str, reason: Optional[str], writer: BackgroundWriter, remote_lost: int) -> Tuple[str, Optional[str]]:
    """The status a run ends with: a run that lost data (records its disk refused, batches neither the buffer
    nor the server took) never ends COMPLETED, but FAILED with the count (docs/tracking.md, "Disk full")."""
    if status != "COMPLETED":
        return status, reason
    if writer.lost > 0:
        last = (writer.last_error or {}).get("message")
        return "FAILED", f"lost {writer.lost} record(s) that could not be written" + (f" ({last})" if last else "")
    if remote_lost > 0:
        return "FAILED", f"lost {remote_lost} batch(es) that neither the buffer nor the server took"
    return status, reason


class StatusRecord:
    """experiment.json of one run, written through ``sink`` (local, remote or both)."""

    def __init__(self, sink: Any, prefix: str, owner: bool, heartbeat_interval: float) -> None:
        self.sink = sink
        self.prefix = prefix
        self.owner = owner
        self.heartbeat_interval = heartbeat_interval
        self.lost_before = 0

    def existing(self) -> Optional[Dict[str, Any]]:
        """The record as stored (None when there is none yet)."""
        return self.sink.read_experiment()

    def open(
        self,
        existing: Optional[Dict[str, Any]],
        description: Optional[str],
        tags: Optional[List[str]],
        bindrs: Optional[List[str]],
        metadata: Any,
    ) -> None:
        """Creates the record or re-opens it (given values replace stored ones); as owner, marks it RUNNING."""
        now = jio.utc_now_iso()
        segments = self.prefix.split("/")
        owner = self.owner

        def change(doc: Dict[str, Any]) -> None:
            if not doc:
                doc.update(
                    {
                        "name": segments[-1] if len(segments) > 2 else segments[1],
                        "project": segments[1],
                        "description": description,
                        "tags": list(tags or []),
                        "bindrs": list(bindrs or []),
                        "prefix": self.prefix,
                        "metadata": metadata,
                        "created_at": now,
                        "write_protected": False,
                    }
                )
            else:
                # ML-Dash's re-open: given values replace stored ones; updated_at marks it.
                if description is not None:
                    doc["description"] = description
                if tags is not None:
                    doc["tags"] = list(tags)
                if bindrs is not None:
                    doc["bindrs"] = list(bindrs)
                if metadata is not None:
                    doc["metadata"] = metadata
                doc["prefix"] = self.prefix
                doc["updated_at"] = now
            if owner:
                doc["labrunFormat"] = LABRUN_FORMAT
                doc["status"] = "RUNNING"
                doc["statusReason"] = None
                doc["startedAt"] = now
                doc["endedAt"] = None
                doc["heartbeatAt"] = now
                doc.update(proc.owner_fields(self.heartbeat_interval))
                doc["error"] = None

        if owner or existing is None:
            # An attached writer leaves an existing experiment.json alone: rewriting it could race
            # with the owner's heartbeat or final status.
            self.sink.update_experiment(change)
        lost = existing.get("lostRecords") if isinstance(existing, dict) else None
        self.lost_before = lost if isinstance(lost, int) else 0

    def write_fields(self, writer: BackgroundWriter) -> Dict[str, Any]:
        """experiment.json's record of failed writes (``writeErrors``, ``lostRecords``, ``lastWriteError``),
        when there were any this session; lost records add to those of earlier sessions."""
        if writer.error_count == 0:
            return {}
        return {
            "writeErrors": writer.error_count,
            "lostRecords": self.lost_before + writer.lost,
            "lastWriteError": writer.last_error,
        }

    def beat(self, writer: Optional[BackgroundWriter]) -> None:
        """Refreshes the heartbeat (and the write errors), while this process still owns the run."""
        now = jio.utc_now_iso()
        pid = os.getpid()
        written = self.write_fields(writer) if writer is not None else {}

        def change(doc: Dict[str, Any]) -> None:
            # Only while this process still owns the run (a resumed run may belong to another now).
            if doc.get("status") == "RUNNING" and doc.get("pid") == pid and doc.get("host") == proc.hostname():
                doc["heartbeatAt"] = now
                doc.update(written)

        self.sink.update_experiment(change)

    def finish(
        self,
        writer: BackgroundWriter,
        status: str,
        reason: Optional[str],
        error: Optional[Dict[str, Any]],
        space_reserved: bool,
    ) -> None:
        """Records the final status; on a full disk, gives back the space set aside at open for this very write.
        Never raises: a status that cannot be written leaves experiment.json whole, RUNNING (readers then show
        the run FAILED once this process has ended)."""
        now = jio.utc_now_iso()
        pid = os.getpid()
        written = self.write_fields(writer)

        def change(doc: Dict[str, Any]) -> None:
            doc["status"] = status
            doc["statusReason"] = reason
            doc["endedAt"] = now
            doc["heartbeatAt"] = now
            doc["error"] = error
            doc.setdefault("pid", pid)
            doc.update(written)

        try:
            try:
                self.sink.update_experiment(change)
            except OSError as full:
                if full.errno != errno.ENOSPC or not space_reserved:
                    raise
                self.sink.release_space()
                self.sink.update_experiment(change)
        except Exception as err:  # noqa: BLE001 - closing must not raise over the body's error
            writer.report(
                ("status", None),
                err,
                "The run's status could not be recorded: experiment.json keeps its last state, and readers "
                "show the run FAILED (process died) once this process ends.",
            )
        if space_reserved:
            self.sink.release_space()
