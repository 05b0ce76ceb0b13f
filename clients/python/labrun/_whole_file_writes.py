"""parameters.json and stored files in the background writer: whole-file writes tried at once, and kept, in
order, when the disk refuses them (merged parameters, saves made again whole), retried at each flush and
counted as lost if the run ends first. A part of ``BackgroundWriter`` (``_writer.py``)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from .errors import CorruptRecordError


class WholeFileWrites:
    """The whole-file writes of ``BackgroundWriter``, which provides the sink, the locks, ``_attempt`` and
    ``_full``."""

    sink: Any
    flush_interval: float
    _io_lock: "threading.RLock"
    _failing: bool
    _retry_at: float
    _attempt: Callable[..., bool]
    _full: Callable[[int], bool]

    def _init_whole_file_writes(self) -> None:
        self._params: Optional[Dict[str, Any]] = None
        self._params_calls = 0
        self._files: List[Tuple[str, Callable[[], Any], int]] = []

    @property
    def _whole_pending(self) -> int:
        return self._params_calls + len(self._files)

    def _drop_whole(self) -> int:
        count = self._whole_pending
        self._params, self._params_calls, self._files = None, 0, []
        return count

    def set_params(self, flat: Dict[str, Any]) -> None:
        """Merges parameters into parameters.json now (one atomic replace). A write the disk refuses stays
        queued, merged with later calls in their order, and is written by the next flush it takes."""
        with self._io_lock:
            self._params = {**(self._params or {}), **flat}
            self._params_calls += 1
            try:
                if not self._write_params(refuse_damaged=True):
                    self._set_failing()
            except CorruptRecordError:
                # A damaged parameters.json is bad input, not a full disk: refused now, never retried.
                self._params, self._params_calls = None, 0
                raise

    def pending_params(self) -> Optional[Dict[str, Any]]:
        """Parameters set but not written yet (the disk refused them)."""
        params = self._params
        return dict(params) if params is not None else None

    @property
    def files_waiting(self) -> bool:
        return bool(self._files)

    def save_file(self, key: str, write: Callable[[], Any], size: int) -> bool:
        """Queues a stored file's write (``write`` does it whole, cleaning up after a failure) behind those
        waiting and writes what it can now; a later save of the same ``key`` replaces a waiting one. While
        the disk fails and ``max_queued`` records wait, a save holding bytes is dropped (counted as lost).
        True when it was written now."""
        with self._io_lock:
            if size and self._failing and self._full(1):
                return False
            self._files = [entry for entry in self._files if entry[0] != key]
            self._files.append((key, write, size))
            if not self._write_files():
                self._set_failing()
            return not any(entry[0] == key for entry in self._files)

    def _write_params(self, refuse_damaged: bool = False) -> bool:
        params = self._params
        if params is None:
            return True
        damaged: List[CorruptRecordError] = []

        def write() -> None:
            try:
                self.sink.merge_params(params)
            except CorruptRecordError as error:
                if not refuse_damaged:
                    raise
                damaged.append(error)
                return
            self._params, self._params_calls = None, 0

        written = self._attempt(("parameters.json", None), write, lambda: None)
        if damaged:
            raise damaged[0]
        return written

    def _write_files(self) -> bool:
        while self._files:
            if not self._attempt(("files", None), self._files[0][1], lambda: None):
                return False
            self._files.pop(0)
        return True

    def _set_failing(self) -> None:
        self._failing = True
        self._retry_at = time.monotonic() + max(self.flush_interval, 0.1)
