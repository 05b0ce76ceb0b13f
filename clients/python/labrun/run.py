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

import errno
import functools
import inspect
import os
import sys
import threading
import traceback
import types
import warnings
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

from . import _jsonio as jio
from . import _owner_lock
from . import _process as proc
from ._paths import ENV_RUN_DIR, ENV_RUN_PREFIX, parse_prefix, runs_root
from ._store import iter_run_dirs
from ._writer import BackgroundWriter
from ._remote_store import RemoteRunStore, open_remote_store
from ._run_base import RunView, _RunBase
from .system import SystemMetrics, interval_of
from .errors import (
    CorruptRecordError,
    CorruptRecordWarning,
    InvalidArgumentError,
    InvalidPrefixError,
    NoCurrentRunError,
    RunBusyError,
    RunNotFoundError,
    RunStateError,
)
from .run_info import RUN

LABRUN_FORMAT = 1
STATUSES = ("RUNNING", "COMPLETED", "FAILED", "CANCELLED")
F = TypeVar("F", bound=Callable[..., Any])


class RunLifecycle:
    """``run.run``: ML-Dash's lifecycle handle: ``start/complete/fail/cancel``, a context manager, and a
    decorator (``@run.run`` calls the function with the run)."""

    def __init__(self, run: "Run") -> None:
        self._run = run

    def start(self) -> "Run":
        return self._run.start()

    def complete(self) -> None:
        self._run.complete()

    def fail(self, error: Union[BaseException, str, None] = None) -> None:
        self._run.fail(error)

    def cancel(self, reason: Optional[str] = None) -> None:
        self._run.cancel(reason)

    def __enter__(self) -> "Run":
        return self._run.start()

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        return self._run.__exit__(exc_type, exc, tb)

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self as run:
                return fn(run, *args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ[name])
    except (KeyError, ValueError):
        return default


def _error_record(error: Union[BaseException, str, None]) -> Optional[Dict[str, Any]]:
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
    ``quiet``). See ``remote_status()``.
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
        env_prefix = os.environ.get(ENV_RUN_PREFIX)
        env_dir = os.environ.get(ENV_RUN_DIR)
        if prefix is None:
            if not env_prefix:
                raise InvalidPrefixError(
                    prefix, "no prefix given and $LABRUN_RUN_PREFIX is not set (pass prefix='owner/project/name')"
                )
            prefix = env_prefix
        parse_prefix(prefix)
        if dir is not None:
            run_dir = os.path.abspath(os.fspath(dir))
        elif env_dir and prefix == env_prefix and root is None:
            run_dir = os.path.abspath(env_dir)
        else:
            run_dir = os.path.join(runs_root(root), *prefix.split("/"))
        super().__init__(prefix, run_dir)
        # A run bound to a folder (``dir``, a launched job's) keeps writing it in remote mode.
        bound = dir is not None or (env_dir is not None and prefix == env_prefix and root is None)
        also_local = bool(local) if local is not None else bound
        self._attach_requested = bool(attach)
        self._remote_options = self._remote_mode(prefix, run_dir, dash_url, token, also_local, remote or {})
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
        self._lost_before = 0

    def _remote_mode(
        self, prefix: str, run_dir: str, dash_url: Any, token: Optional[str], local: bool, options: Dict[str, Any]
    ) -> Optional[Dict[str, Any]]:
        """Remote mode when ``dash_url`` (or ``$LABRUN_URL``) names a server: the store becomes a
        ``RemoteRunStore`` (batches to the server; the run's folder too with ``local``)."""
        opened = open_remote_store(prefix, run_dir, dash_url, token, local, options, self._attach_requested)
        if opened is None:
            return None
        self._store, settings = opened
        return settings

    @property
    def remote(self) -> bool:
        """True in remote mode (``dash_url`` / ``$LABRUN_URL``)."""
        return self._remote_options is not None

    def remote_status(self) -> Optional[Dict[str, Any]]:
        """How the run's data is getting to the server (None for a local run): ``state`` (connecting,
        online, retrying, refused, closed), ``acknowledgedBatches``, ``duplicateBatches``, ``uploadedFiles``,
        ``pending``, ``rejected``, ``retries``, ``errors``, ``lastError``, ``bufferDir``. Remote errors are never
        raised into the program: they are counted here and reported once on stderr."""
        store = self._store
        if isinstance(store, RemoteRunStore) and store.sender is not None:
            return store.sender.status()
        return None

    # ------------------------------------------------------------------------------ constructors

    @classmethod
    def current(cls, attach: Optional[bool] = None, **options: Any) -> "Run":
        """The run of the job this process was launched as (``$LABRUN_RUN_DIR``, ``$LABRUN_RUN_PREFIX``; without
        the prefix, the one recorded in the folder, else ``<user>/jobs/run``), started; the same object on
        every call. Raises ``NoCurrentRunError`` when ``$LABRUN_RUN_DIR`` is not set.

        ``attach=None`` (default) opens it as owner, or attaches when another live process (the launcher)
        owns it; ``True``/``False`` force one mode."""
        with cls._current_lock:
            if cls._current is not None and cls._current.is_open:
                return cls._current
            run_dir = os.environ.get(ENV_RUN_DIR)
            if not run_dir:
                raise NoCurrentRunError(ENV_RUN_DIR)
            prefix = os.environ.get(ENV_RUN_PREFIX)
            if not prefix:
                stored = jio.read_json(os.path.join(run_dir, "experiment.json"), {})
                prefix = stored.get("prefix") if isinstance(stored, dict) else None
                if not isinstance(prefix, str) or not prefix:
                    prefix = f"{RUN.user}/jobs/run"
            run = cls(prefix, dir=run_dir, attach=bool(attach), **options)
            try:
                run.start()
            except RunBusyError:
                if attach is not None:
                    raise
                run = cls(prefix, dir=run_dir, attach=True, **options)
                run.start()
            cls._current = run
            return run

    @staticmethod
    def open(prefix: Optional[str] = None, *, root: Optional[str] = None, dir: Optional[str] = None) -> RunView:
        """A run to read. ``prefix`` under ``root`` (default root as for writing), or the folder ``dir``."""
        if dir is not None:
            run_dir = os.path.abspath(os.fspath(dir))
            if prefix is None:
                stored = jio.read_json(os.path.join(run_dir, "experiment.json"), {})
                prefix = stored.get("prefix") if isinstance(stored, dict) else None
                if not isinstance(prefix, str):
                    raise RunNotFoundError(str(prefix), run_dir)
            parse_prefix(prefix)
        else:
            if prefix is None:
                raise InvalidPrefixError(prefix, "no prefix given")
            run_dir = os.path.join(runs_root(root), *parse_prefix(prefix))
        if not os.path.isfile(os.path.join(run_dir, "experiment.json")):
            raise RunNotFoundError(prefix, run_dir)
        return RunView(prefix, run_dir)

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
        base = runs_root(root)
        out: List[RunView] = []
        for run_dir in iter_run_dirs(base):
            rel = os.path.relpath(run_dir, base).replace(os.sep, "/")
            if prefix is not None and not (rel == prefix.strip("/") or rel.startswith(prefix.strip("/") + "/")):
                continue
            try:
                parse_prefix(rel)
            except InvalidPrefixError:
                continue
            view = RunView(rel, run_dir)
            try:
                info = view.info()
            except CorruptRecordError as error:
                # One damaged run must not fail the listing, nor be listed as if it were readable.
                file, problem = error.details["file"], error.details["problem"]
                warnings.warn(CorruptRecordWarning(file, problem), stacklevel=2)
                continue
            except Exception:  # noqa: BLE001 - one unreadable run must not fail a listing
                info = {}
            if tag is not None and tag not in (info.get("tags") or []):
                continue
            if status is not None and proc.derive_status(info)[0] != status.upper():
                continue
            out.append(view)
        return out

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
                self._open_record()
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

    def _open_record(self) -> None:
        existing = self._store.read_experiment() if os.path.exists(self._store.experiment_file) else None
        # A writer of an older version holds no lock: its record says it runs.
        if not self.attached and proc.owner_is_live(existing):
            assert existing is not None
            raise RunBusyError(self.prefix, existing.get("host"), existing.get("pid"))
        now = jio.utc_now_iso()
        segments = self.prefix.split("/")

        def change(doc: Dict[str, Any]) -> None:
            if not doc:
                doc.update(
                    {
                        "name": segments[-1] if len(segments) > 2 else segments[1],
                        "project": segments[1],
                        "description": self._description,
                        "tags": list(self._tags or []),
                        "bindrs": list(self._bindrs or []),
                        "prefix": self.prefix,
                        "metadata": self._metadata,
                        "created_at": now,
                        "write_protected": False,
                    }
                )
            else:
                # ML-Dash's re-open: given values replace stored ones; updated_at marks it.
                if self._description is not None:
                    doc["description"] = self._description
                if self._tags is not None:
                    doc["tags"] = list(self._tags)
                if self._bindrs is not None:
                    doc["bindrs"] = list(self._bindrs)
                if self._metadata is not None:
                    doc["metadata"] = self._metadata
                doc["prefix"] = self.prefix
                doc["updated_at"] = now
            if not self.attached:
                doc["labrunFormat"] = LABRUN_FORMAT
                doc["status"] = "RUNNING"
                doc["statusReason"] = None
                doc["startedAt"] = now
                doc["endedAt"] = None
                doc["heartbeatAt"] = now
                doc.update(proc.owner_fields(self._heartbeat_interval))
                doc["error"] = None

        if not self.attached or existing is None:
            # An attached writer leaves an existing experiment.json alone: rewriting it could race
            # with the owner's heartbeat or final status.
            self._store.update_experiment(change)
        if self._lock is not None:
            self._store.reserve_space()
        self._store.ensure_folders()
        self._final_status = None
        writer = BackgroundWriter(
            self._store,
            flush_interval=self._flush_interval,
            flush_size=self._flush_size,
            max_queued=self._max_queued,
            on_tick=None if self.attached else self._heartbeat,
            tick_interval=None if self.attached else self._heartbeat_interval,
            label=self.prefix,
        )
        writer.start()
        self._writer = self._last_writer = writer
        lost = existing.get("lostRecords") if isinstance(existing, dict) else None
        self._lost_before = lost if isinstance(lost, int) else 0
        proc.register(self, self._handle_signals and not self.attached)
        self._start_system_metrics()

    def _start_system_metrics(self) -> None:
        if self._system_interval is None:
            return
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
        self._close_final("FAILED", message, _error_record(error))

    def cancel(self, reason: Optional[str] = None) -> None:
        """Flushes everything and records CANCELLED."""
        self._close_final("CANCELLED", reason, None)

    def close(self) -> None:
        """Completes the run if it is still open."""
        self.complete()

    def _close_after(self, exc: Optional[BaseException]) -> None:
        """Ends the run for the way its body ended: nothing or exit 0 → COMPLETED; Ctrl-C → CANCELLED;
        SystemExit(n) → FAILED 'exit code n'; any other exception → FAILED with the error."""
        if exc is None:
            self._close_final("COMPLETED", None, None)
        elif isinstance(exc, KeyboardInterrupt):
            self._close_final("CANCELLED", "SIGINT", None)
        elif isinstance(exc, SystemExit):
            code = exc.code
            if code is None or code == 0:
                self._close_final("COMPLETED", None, None)
            elif isinstance(code, int):
                self._close_final("FAILED", f"exit code {code}", None)
            else:
                self._close_final("FAILED", str(code), None)
        elif isinstance(exc, GeneratorExit):
            self._close_final("COMPLETED", None, None)
        else:
            self.fail(exc)

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
            if writer.lost > 0 and status == "COMPLETED":
                # A run that lost data never ends COMPLETED (docs/tracking.md, "Disk full").
                status = "FAILED"
                last = (writer.last_error or {}).get("message")
                reason = f"lost {writer.lost} record(s) that could not be written" + (f" ({last})" if last else "")
            sender = self._store.sender if isinstance(self._store, RemoteRunStore) else None
            remote_lost = sender.counts["lost"] if sender is not None else 0
            if remote_lost > 0 and status == "COMPLETED":
                status = "FAILED"
                reason = f"lost {remote_lost} batch(es) that neither the buffer nor the server took"
            if not self.attached:
                now = jio.utc_now_iso()
                pid = os.getpid()
                written = self._write_fields(writer)

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
                        self._store.update_experiment(change)
                    except OSError as full:
                        if full.errno != errno.ENOSPC or self._lock is None:
                            raise
                        # The disk is full: the space set aside at open is for this very write.
                        self._store.release_space()
                        self._store.update_experiment(change)
                except Exception as err:  # noqa: BLE001 - closing must not raise over the body's error
                    writer.report(
                        ("status", None),
                        err,
                        "The run's status could not be recorded: experiment.json keeps its last state, and readers "
                        "show the run FAILED (process died) once this process ends.",
                    )
                if self._lock is not None:
                    self._store.release_space()
                self._release_lock()
            if isinstance(self._store, RemoteRunStore):
                # A bounded wait for the server; what it did not acknowledge stays in the buffer.
                self._store.close_remote(float((self._remote_options or {}).get("close_timeout", 10.0)))
            self._writer = None
            self._final_status = status
            proc.unregister(self)

    def _write_fields(self, writer: BackgroundWriter) -> Dict[str, Any]:
        """experiment.json's record of failed writes (``writeErrors``, ``lostRecords``, ``lastWriteError``),
        when there were any this session; lost records add to those of earlier sessions."""
        if writer.error_count == 0:
            return {}
        return {
            "writeErrors": writer.error_count,
            "lostRecords": self._lost_before + writer.lost,
            "lastWriteError": writer.last_error,
        }

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
        now = jio.utc_now_iso()
        pid = os.getpid()
        writer = self._writer
        written = self._write_fields(writer) if writer is not None else {}

        def change(doc: Dict[str, Any]) -> None:
            # Only while this process still owns the run (a resumed run may belong to another now).
            if doc.get("status") == "RUNNING" and doc.get("pid") == pid and doc.get("host") == proc.hostname():
                doc["heartbeatAt"] = now
                doc.update(written)

        self._store.update_experiment(change)

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
        store = self._store
        if isinstance(store, RemoteRunStore) and store.sender is not None:
            timeout = float((self._remote_options or {}).get("flush_timeout", 5.0))
            if timeout > 0 and store.sender.status()["state"] != "retrying":
                done = store.sender.drain(timeout) and done
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


def tracked(prefix: Union[str, Callable[..., Any], None] = None, **options: Any) -> Any:
    """Decorator: each call of the function runs inside ``Run(prefix, **options)`` (COMPLETED on return,
    FAILED on an exception, CANCELLED on Ctrl-C). The run is passed as ``run=`` when the function takes a
    ``run`` parameter (or ``**kwargs``)::

        @tracked(prefix="alice/vision/resnet", tags=["baseline"])
        def train(lr, run):
            run.params.set(lr=lr)
    """

    def decorate(fn: F) -> F:
        try:
            parameters = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            parameters = {}  # type: ignore[assignment]
        wants_run = "run" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Run(prefix if isinstance(prefix, str) else None, **options) as run:
                if wants_run and "run" not in kwargs:
                    kwargs["run"] = run
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    if callable(prefix):
        fn, prefix = prefix, None
        return decorate(fn)
    return decorate


class _RunModule(types.ModuleType):
    """This module is also NeMo-Run's ``run.run`` shortcut: with ``import labrun as run``, ``run.run`` is this
    module (``run.run.Run`` and ``from labrun.run import Run`` keep working), and calling it launches one task:
    ``run.run(run.Partial(train, lr=0.1), executor=run.LocalExecutor(), name="train")``."""

    def __call__(self, task: Any, *args: Any, **kwargs: Any) -> Any:
        from .launch.shortcut import run_task

        return run_task(task, *args, **kwargs)


sys.modules[__name__].__class__ = _RunModule
