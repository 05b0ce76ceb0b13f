"""What a writable ``Run`` and a read-only ``RunView`` share: the run's folder and its readers."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Optional

from . import _process as proc
from ._run_folder import RunFolder
from ._writer import BackgroundWriter
from .errors import RunStateError
from .files import Files
from .logs import Logs
from .metrics import Metrics
from .params import Params
from .tracks import Tracks


class _Timestamps(threading.local):
    last: Optional[float] = None


class _RunBase:
    """What a writable ``Run`` and a read-only ``RunView`` share: the folder and the readers."""

    prefix: str
    dir: str

    def __init__(self, prefix: str, run_dir: str) -> None:
        self.prefix = prefix
        self.dir = run_dir
        # What the run reads back (and, for a writable Run, where it writes): a folder for a view; the local,
        # remote or tee sink for a Run (_sink.py).
        self._sink: Any = RunFolder(run_dir)
        self._timestamps = _Timestamps()
        self._ts_lock = threading.Lock()
        self._last_auto_ts = 0.0
        self._params: Optional[Params] = None
        self._logs: Optional[Logs] = None
        self._metrics: Optional[Metrics] = None
        self._tracks: Optional[Tracks] = None
        self._files: Optional[Files] = None
        self._writer: Optional[BackgroundWriter] = None

    @property
    def _store(self) -> Any:
        """The name the run's sink had before the sinks were split (kept for code that reached it)."""
        return self._sink

    # ------------------------------------------------------------------------------ accessors

    @property
    def params(self) -> Params:
        if self._params is None:
            self._params = Params(self)
        return self._params

    @property
    def logs(self) -> Logs:
        if self._logs is None:
            self._logs = Logs(self)
        return self._logs

    @property
    def metrics(self) -> Metrics:
        if self._metrics is None:
            self._metrics = Metrics(self)
        return self._metrics

    @property
    def tracks(self) -> Tracks:
        if self._tracks is None:
            self._tracks = Tracks(self)
        return self._tracks

    @property
    def files(self) -> Files:
        if self._files is None:
            self._files = Files(self)
        return self._files

    # ------------------------------------------------------------------------------ metadata

    @property
    def owner(self) -> str:
        return self.prefix.split("/")[0]

    @property
    def project(self) -> str:
        return self.prefix.split("/")[1]

    @property
    def name(self) -> str:
        return self.prefix.split("/")[-1]

    def info(self) -> Dict[str, Any]:
        """``experiment.json`` as stored ({} when there is none yet)."""
        return self._sink.read_experiment() or {}

    @property
    def status(self) -> str:
        """The status a reader reports: the recorded one, except that a RUNNING run whose process is gone
        (pid not running on this host, or no heartbeat from another host) is FAILED; UNKNOWN if none."""
        return proc.derive_status(self.info())[0]

    @property
    def recorded_status(self) -> str:
        status = self.info().get("status")
        return status if isinstance(status, str) and status else "UNKNOWN"

    @property
    def died(self) -> bool:
        return proc.derive_status(self.info())[1]

    @property
    def status_reason(self) -> Optional[str]:
        return proc.derive_status(self.info())[2]

    @property
    def error(self) -> Optional[Dict[str, Any]]:
        error = self.info().get("error")
        return error if isinstance(error, dict) else None

    @property
    def description(self) -> Optional[str]:
        return self.info().get("description")

    @property
    def tags(self) -> List[str]:
        return list(self.info().get("tags") or [])

    # ------------------------------------------------------------------------------ internals

    def _writable(self) -> BackgroundWriter:
        raise RunStateError(
            f"Run '{self.prefix}' is open for reading only. Open it with Run(prefix=...).start() to write.",
            {"prefix": self.prefix},
        )

    def _flush_if_writing(self) -> None:
        return None

    def flush(self) -> bool:
        return True

    def _unique_now(self) -> float:
        with self._ts_lock:
            ts = time.time()
            if ts <= self._last_auto_ts:
                ts = self._last_auto_ts + 1e-6
            self._last_auto_ts = ts
            return ts

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.prefix!r}, dir={self.dir!r})"


class RunView(_RunBase):
    """A run opened for reading (``Run.open``): status, params, metrics, logs, tracks, files."""

    def log(self, *args: Any, **kwargs: Any) -> None:
        self._writable()
