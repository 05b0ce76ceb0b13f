"""``Run``: one tracked run, its lifecycle (RUNNING → COMPLETED / FAILED / CANCELLED), and reading runs.

Three ways to drive it, as in ML-Dash::

    with Run(prefix="alice/vision/resnet").run as run:      # context manager
        run.params.set(lr=1e-3)

    @tracked(prefix="alice/vision/resnet")                    # decorator; gets the run as `run=`
    def train(run): ...

    run = Run(prefix="alice/vision/resnet"); run.start()      # direct
    try: ...; run.complete()
    except Exception as e: run.fail(e); raise
"""

from __future__ import annotations

import os
import sys
import threading
import types
from typing import Any, Dict, List, Optional, Union

from . import _jsonio as jio
from . import _owner_lock
from . import _process as proc
from ._local_sink import LocalSink
from ._paths import resolve_run
from ._remote_mode import open_remote_sink, remote_settings
from ._run_base import RunView, _RunBase
from ._run_handles import RunLifecycle, outcome_of, tracked
from ._run_lookup import current_run, list_views, open_view
from ._sink import open_sink
from ._status_record import StatusRecord, error_record, settle
from ._writer import BackgroundWriter
from .errors import InvalidArgumentError, RunBusyError, RunStateError
from .system import SystemMetrics, interval_of


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ[name])
    except (KeyError, ValueError):
        return default


class Run(_RunBase):
    """A run to write: parameters, metrics, logs, tracks and files, under ``<root>/<prefix>``.

    Nothing is written until ``start()`` (or entering ``with run.run`` / ``with run``). Opening an
    existing prefix resumes it (data is appended). A run RUNNING in another live process raises
    ``RunBusyError`` unless ``attach=True``: an attached writer adds data and never changes the status.

    Options: ``description`` (ML-Dash's ``readme``), ``tags``, ``bindrs``, ``metadata``; ``root`` (default
    ``$LABRUN_RUNS``, ``$LABRUN_HOME/runs``, ``~/.labrun/runs``) or ``dir`` (the run folder itself);
    ``flush_interval`` seconds (default 1, or ``$LABRUN_FLUSH_INTERVAL``), ``flush_size`` records;
    ``max_queued`` records kept while the disk refuses writes (default 1,000,000; beyond, new records are
    dropped and counted as lost, see ``write_status()``);
    ``heartbeat_interval`` seconds (default 15); ``handle_signals``: on SIGTERM, close the run CANCELLED;
    ``system_metrics``: while open, sample CPU, memory, disk, network and GPUs into the ``system`` stream
    every 10 s (``True``) or every that many seconds (a number); off by default.

    Remote mode: ``dash_url`` (default ``$LABRUN_URL``; ``False`` forces local mode) and ``token`` (default
    ``$LABRUN_TOKEN``) send the run to a labrun server in background batches, buffered on disk while the
    server is unreachable; ``local=True`` writes the run's folder too (the default for a run bound to a
    folder with ``dir`` or ``$LABRUN_RUN_DIR``); ``remote={...}`` tunes it
    (``flush_timeout`` 5 s, ``close_timeout`` 10 s, ``buffer_dir``, ``retry_delay``, ``max_retry_delay``,
    ``quiet``, ``max_memory``). See ``remote_status()``.

    The run's data goes to a sink composed for its mode (``_sink.py``): the local files, the server, or both.
    """

    _current: Optional["Run"] = None
    _current_lock = threading.Lock()

    def __init__(
        self,
        prefix: Optional[str] = None,
        *,
        description: Optional[str] = None,
        readme: Optional[str] = None,
        tags: Optional[List[str]] = None,
        bindrs: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        root: Optional[str] = None,
        dir: Optional[str] = None,
        attach: bool = False,
        flush_interval: Optional[float] = None,
        flush_size: int = 10_000,
        max_queued: int = 1_000_000,
        heartbeat_interval: float = 15.0,
        handle_signals: bool = True,
        system_metrics: Union[bool, float, None] = False,
        dash_url: Union[str, bool, None] = None,
        token: Optional[str] = None,
        local: Optional[bool] = None,
        remote: Optional[Dict[str, Any]] = None,
    ) -> None:
        prefix, run_dir, bound = resolve_run(prefix, root, dir)
        super().__init__(prefix, run_dir)
        # A run bound to a folder (``dir``, a launched job's) keeps writing it in remote mode.
        also_local = bool(local) if local is not None else bound
        self._attach_requested = bool(attach)
        self._remote_options = remote_settings(dash_url, token, also_local, remote or {})
        writes_local = self._remote_options is None or self._remote_options["local"]
        self._remote = (
            open_remote_sink(prefix, run_dir, self._remote_options, self._attach_requested)
            if self._remote_options is not None
            else None
        )
        self._sink = open_sink(LocalSink(run_dir) if writes_local else None, self._remote)
        self._description = description if description is not None else readme
        self._tags = list(tags) if tags is not None else None
        self._bindrs = list(bindrs) if bindrs is not None else None
        self._metadata = jio.json_value(metadata, "metadata") if metadata is not None else None
        self.attached = bool(attach)
        self._flush_interval = flush_interval if flush_interval is not None else _env_float("LABRUN_FLUSH_INTERVAL", 1.0)
        self._flush_size = flush_size
        self._max_queued = max_queued
        self._heartbeat_interval = float(heartbeat_interval)
        if self._heartbeat_interval <= 0:
            raise InvalidArgumentError("heartbeat_interval must be positive.", {"heartbeat_interval": heartbeat_interval})
        self._handle_signals = handle_signals
        try:
            self._system_interval = interval_of(system_metrics)
        except ValueError:
            raise InvalidArgumentError(
                "system_metrics must be True, False or a positive number of seconds.",
                {"system_metrics": repr(system_metrics)},
            ) from None
        self._system: Optional[SystemMetrics] = None
        self._writer: Optional[BackgroundWriter] = None
        self._state_lock = threading.RLock()
        self._final_status: Optional[str] = None
        self._lock: Optional[_owner_lock.OwnerLock] = None
        self._last_writer: Optional[BackgroundWriter] = None
        self._record = StatusRecord(self._sink, prefix, not self.attached, self._heartbeat_interval)

    @property
    def remote(self) -> bool:
        """True in remote mode (``dash_url`` / ``$LABRUN_URL``)."""
        return self._remote is not None

    def remote_status(self) -> Optional[Dict[str, Any]]:
        """How the run's data is getting to the server (None for a local run): ``state`` (connecting,
        online, retrying, refused, closed), ``acknowledgedBatches``, ``duplicateBatches``, ``uploadedFiles``,
        ``pending``, ``rejected``, ``retries``, ``errors``, ``lost``, ``lastError``, ``bufferDir``. Remote errors
        are never raised into the program: they are counted here and reported once on stderr."""
        sender = self._remote.sender if self._remote is not None else None
        return sender.status() if sender is not None else None

    # ------------------------------------------------------------------------------ constructors

    @classmethod
    def current(cls, attach: Optional[bool] = None, **options: Any) -> "Run":
        """The run of the job this process was launched as (``$LABRUN_RUN_DIR``, ``$LABRUN_RUN_PREFIX``; without
        the prefix, the one recorded in the folder, else ``<user>/jobs/run``), started; the same object on
        every call. Raises ``NoCurrentRunError`` when ``$LABRUN_RUN_DIR`` is not set.

        ``attach=None`` (default) opens it as owner, or attaches when another live process (the launcher)
        owns it; ``True``/``False`` force one mode."""
        with cls._current_lock:
            if cls._current is None or not cls._current.is_open:
                cls._current = current_run(cls, attach, options)
            return cls._current

    @staticmethod
    def open(prefix: Optional[str] = None, *, root: Optional[str] = None, dir: Optional[str] = None) -> RunView:
        """A run to read. ``prefix`` under ``root`` (default root as for writing), or the folder ``dir``."""
        return open_view(prefix, root, dir)

    @staticmethod
    def list(
        root: Optional[str] = None,
        *,
        prefix: Optional[str] = None,
        tag: Optional[str] = None,
        status: Optional[str] = None,
    ) -> List[RunView]:
        """Runs under ``root`` (sorted by prefix): those whose prefix starts with ``prefix`` (whole
        segments), carrying ``tag``, whose reported status is ``status``. A run whose experiment.json cannot
        be read is left out with a ``CorruptRecordWarning`` naming the file."""
        return list_views(root, prefix, tag, status)

    # ------------------------------------------------------------------------------ lifecycle

    @property
    def run(self) -> RunLifecycle:
        """ML-Dash's lifecycle handle: ``with Run(...).run as run:``, ``run.run.start()``, ``@run.run``."""
        return RunLifecycle(self)

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    def start(self) -> "Run":
        """Creates or resumes the run; as owner, records RUNNING with host, pid and a heartbeat."""
        with self._state_lock:
            if self._writer is not None:
                return self
            for other in proc.open_runs():
                if other is not self and os.path.realpath(other.dir) == os.path.realpath(self.dir):
                    raise RunStateError(
                        f"Run '{self.prefix}' is already open in this process; use that Run object "
                        f"(or close it first).",
                        {"dir": self.dir},
                    )
            writes_local = self._remote_options is None or self._remote_options["local"]
            if writes_local:
                os.makedirs(self.dir, exist_ok=True)
            if not self.attached and writes_local:
                held = _owner_lock.acquire(self.dir)
                if not isinstance(held, _owner_lock.OwnerLock):
                    raise RunBusyError(self.prefix, held.get("host"), held.get("pid"))
                self._lock = held
            try:
                self._open()
            except BaseException:
                self._release_lock()
                raise
            return self

    def _release_lock(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            try:
                lock.release()
            except OSError:
                pass  # a lock left behind is taken over once this process has let go of the run

    def _open(self) -> None:
        existing = self._record.existing()
        # A writer of an older version holds no lock: its record says it runs.
        if not self.attached and proc.owner_is_live(existing):
            assert existing is not None
            raise RunBusyError(self.prefix, existing.get("host"), existing.get("pid"))
        self._record.open(existing, self._description, self._tags, self._bindrs, self._metadata)
        if self._lock is not None:
            self._sink.reserve_space()
        self._sink.ensure_folders()
        self._final_status = None
        writer = BackgroundWriter(
            self._sink,
            flush_interval=self._flush_interval,
            flush_size=self._flush_size,
            max_queued=self._max_queued,
            on_tick=None if self.attached else self._heartbeat,
            tick_interval=None if self.attached else self._heartbeat_interval,
            label=self.prefix,
        )
        writer.start()
        self._writer = self._last_writer = writer
        proc.register(self, self._handle_signals and not self.attached)
        if self._system_interval is not None:
            system = self.metrics("system")
            self._system = SystemMetrics(system.log, self._system_interval, self.dir, label=self.prefix)
            self._system.start()

    def complete(self) -> None:
        """Flushes everything and records COMPLETED."""
        self._close_final("COMPLETED", None, None)

    def fail(self, error: Union[BaseException, str, None] = None, reason: Optional[str] = None) -> None:
        """Flushes everything and records FAILED with ``error`` (an exception or a message)."""
        message = reason
        if message is None and error is not None:
            message = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
        self._close_final("FAILED", message, error_record(error))

    def cancel(self, reason: Optional[str] = None) -> None:
        """Flushes everything and records CANCELLED."""
        self._close_final("CANCELLED", reason, None)

    def close(self) -> None:
        """Completes the run if it is still open."""
        self.complete()

    def _close_after(self, exc: Optional[BaseException]) -> None:
        """Ends the run for the way its body ended (``_run_handles.outcome_of``)."""
        self._close_final(*outcome_of(exc))

    def _close_final(self, status: str, reason: Optional[str], error: Optional[Dict[str, Any]]) -> None:
        with self._state_lock:
            writer = self._writer
            if writer is None:
                return
            if self._system is not None:
                self._system.stop()  # before the last flush: no point is logged after it
            if not writer.stop():
                dropped = writer.drop_pending()
                writer.say(
                    f"{dropped} record(s) of run {self.prefix} could not be written before it ended "
                    f"({(writer.last_error or {}).get('code', 'error')}) and are lost."
                )
            sender = self._remote.sender if self._remote is not None else None
            status, reason = settle(status, reason, writer, sender.counts["lost"] if sender is not None else 0)
            if not self.attached:
                self._record.finish(writer, status, reason, error, self._lock is not None)
                self._release_lock()
            if self._remote is not None:
                # A bounded wait for the server; what it did not acknowledge stays in the buffer.
                self._remote.close(float((self._remote_options or {}).get("close_timeout", 10.0)))
            self._writer = None
            self._final_status = status
            proc.unregister(self)

    def write_status(self) -> Optional[Dict[str, Any]]:
        """How the run's data is getting to its local files (None for a run without them): ``state`` (ok,
        failing), ``pending``, ``errors``, ``lost``, ``lastError``. I/O errors (a full disk) are never raised
        into the program: the data stays queued and is written when the disk takes it again; a run that lost
        records ends FAILED. Kept after the run closes."""
        writer = self._writer or self._last_writer
        if writer is None or (self._remote_options is not None and not self._remote_options["local"]):
            return None
        return writer.status()

    def _heartbeat(self) -> None:
        self._record.beat(self._writer)

    def __enter__(self) -> "Run":
        return self.start()

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        self._close_after(exc)
        return False

    # ------------------------------------------------------------------------------ writing

    def _writable(self) -> BackgroundWriter:
        writer = self._writer
        if writer is None:
            if self._final_status is not None:
                raise RunStateError(
                    f"Run '{self.prefix}' is closed ({self._final_status}). Open it again with Run(prefix=...) "
                    f"to resume it.",
                    {"prefix": self.prefix},
                )
            raise RunStateError(
                f"Run '{self.prefix}' is not started. Use `with Run(...).run as run:` or call run.start() first.",
                {"prefix": self.prefix},
            )
        return writer

    def _flush_if_writing(self) -> None:
        writer = self._writer
        if writer is not None:
            writer.flush()

    def flush(self) -> bool:
        """Writes everything buffered now. True when all of it was written (I/O errors are kept in
        ``write_errors``, never raised)."""
        writer = self._writer
        done = writer.flush() if writer is not None else True
        sender = self._remote.sender if self._remote is not None else None
        if sender is not None:
            timeout = float((self._remote_options or {}).get("flush_timeout", 5.0))
            if timeout > 0 and sender.status()["state"] != "retrying":
                done = sender.drain(timeout) and done
        return done

    @property
    def write_errors(self) -> List[BaseException]:
        writer = self._writer
        return list(writer.errors) if writer is not None else []

    @property
    def system_errors(self) -> List[BaseException]:
        """Errors of ``system_metrics`` sampling (the last 20; a failed part of a sample is left out, never
        raised). Kept after the run closes."""
        system = self._system
        return system.errors if system is not None else []

    def log(self, message: Any, level: str = "info", metadata: Optional[Dict[str, Any]] = None, **extra: Any) -> None:
        """A log record: ``run.log("epoch done", level="info", epoch=3)``."""
        self.logs.log(message, level, metadata, **extra)


__all__ = ["Run", "RunLifecycle", "RunView", "tracked"]


class _RunModule(types.ModuleType):
    """This module is also NeMo-Run's ``run.run`` shortcut: with ``import labrun as run``, ``run.run`` is this
    module (``run.run.Run`` and ``from labrun.run import Run`` keep working), and calling it launches one task:
    ``run.run(run.Partial(train, lr=0.1), executor=run.LocalExecutor(), name="train")``."""

    def __call__(self, task: Any, *args: Any, **kwargs: Any) -> Any:
        from .launch.shortcut import run_task

        return run_task(task, *args, **kwargs)


sys.modules[__name__].__class__ = _RunModule
