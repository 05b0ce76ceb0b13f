"""The background writer: keeps new log records, metric points and track entries in memory and appends
them in batches, so a call in the training loop never waits for the disk.

A batch is written when the pending records pass ``flush_size``, every ``flush_interval`` seconds, on
``flush()``, before a status change and at exit. Values are encoded to JSON by the call that logs them
(that is where a bad value must fail), so the writer thread only joins strings and writes.

An I/O error never reaches the training loop: the failed append is cut back from the file (``append_bytes``),
the batch stays pending, in order, and is retried by the thread until the disk takes it; the error is kept
in ``errors``, counted in ``status()`` and reported once on stderr. Only when the writer cannot keep up (more
than ``max_pending`` records waiting while writes succeed) does a logging call write the batch itself.
While writes fail, memory stays bounded: past ``max_queued`` pending records, new records are dropped and
counted as ``lost``; records still pending when the run ends are lost too (the run then ends FAILED).
"""

from __future__ import annotations

import errno
import sys
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._local_sink import SidecarWriteError
from ._whole_file_writes import WholeFileWrites


def _with_items(stream: "_Stream", items: List[str]) -> "_Stream":
    out = _Stream()
    out.items = items
    out.description, out.tags, out.metadata, out.topic = stream.description, stream.tags, stream.metadata, stream.topic
    return out


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"


class _Stream:
    __slots__ = ("items", "description", "tags", "metadata", "topic")

    def __init__(self) -> None:
        self.items: List[Any] = []
        self.description: Optional[str] = None
        self.tags: Optional[List[str]] = None
        self.metadata: Optional[Dict[str, Any]] = None
        self.topic: Optional[str] = None


class BackgroundWriter(WholeFileWrites):
    def __init__(
        self,
        sink: Any,
        flush_interval: float = 1.0,
        flush_size: int = 10_000,
        max_pending: int = 200_000,
        max_queued: int = 1_000_000,
        on_tick: Optional[Callable[[], None]] = None,
        tick_interval: Optional[float] = None,
        label: str = "",
    ) -> None:
        self.sink = sink
        self.flush_interval = max(0.01, float(flush_interval))
        self.flush_size = max(1, int(flush_size))
        self.max_pending = max(self.flush_size, int(max_pending))
        self.max_queued = max(self.max_pending, int(max_queued))
        self.label = label
        self.errors: List[BaseException] = []
        self.error_count = 0
        self.lost = 0
        self.last_error: Optional[Dict[str, str]] = None
        self._failing = False
        self._retry_at = 0.0
        self._pending_requeued = False
        self._reported: set = set()
        # _lock guards the pending buffers (held for microseconds); _io_lock serialises writing, so the
        # order of batches on disk is the order of the calls. Both re-entrant: a SIGTERM handler may flush
        # while the interrupted main thread holds them.
        self._lock = threading.RLock()
        self._io_lock = threading.RLock()
        self._logs: List[str] = []
        # parameters.json and stored files: whole-file writes the disk refused, retried at each flush.
        self._init_whole_file_writes()
        self._metrics: Dict[Optional[str], _Stream] = {}
        self._tracks: Dict[str, _Stream] = {}
        self._pending = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._on_tick = on_tick
        self._tick_interval = tick_interval
        self._last_tick = time.monotonic()

    # ------------------------------------------------------------------------------ producer side

    def _full(self, count: int) -> bool:
        """While writes fail and ``max_queued`` records wait, new ones are dropped (counted as lost)."""
        if not self._failing or self._pending < self.max_queued:
            return False
        if self.lost == 0:
            self.say(
                f"run {self.label}: {self._pending} records wait for a disk that still fails; new records are "
                f"dropped (counted as lost) until it takes them."
            )
        self.lost += count
        return True

    def add_log(self, encoded: str) -> None:
        if self._failing and self._full(1):
            return
        with self._lock:
            self._logs.append(encoded)
            self._pending += 1
            pending = self._pending
        self._after_add(pending)

    def add_points(
        self,
        name: Optional[str],
        encoded: List[str],
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> None:
        if self._failing and self._full(len(encoded)):
            return
        with self._lock:
            stream = self._metrics.get(name)
            if stream is None:
                stream = self._metrics[name] = _Stream()
            if description is not None:
                stream.description = description
            if tags is not None:
                stream.tags = tags
            if metadata is not None:
                stream.metadata = metadata
            stream.items.extend(encoded)
            self._pending += len(encoded)
            pending = self._pending
        self._after_add(pending)

    def add_point(self, name: Optional[str], encoded: str) -> None:
        # The hot path of metrics(name).log(): one lock, one append.
        if self._failing and self._full(1):
            return
        with self._lock:
            stream = self._metrics.get(name)
            if stream is None:
                stream = self._metrics[name] = _Stream()
            stream.items.append(encoded)
            self._pending += 1
            pending = self._pending
        if pending >= self.flush_size:
            self._after_add(pending)

    def add_track(self, topic: str, folder: str, timestamp: float, fields: Dict[str, Any]) -> None:
        if self._failing and self._full(1):
            return
        with self._lock:
            stream = self._tracks.get(folder)
            if stream is None:
                stream = self._tracks[folder] = _Stream()
                stream.topic = topic
            stream.items.append((timestamp, fields))
            self._pending += 1
            pending = self._pending
        self._after_add(pending)

    def _after_add(self, pending: int) -> None:
        if pending >= self.flush_size:
            if self._failing:
                # A failing disk is retried by the thread (or here, without one, when due), not on every call.
                if (self._thread is None or not self._thread.is_alive()) and time.monotonic() >= self._retry_at:
                    self.flush()
            elif pending >= self.max_pending or self._thread is None or not self._thread.is_alive():
                self.flush()
            else:
                self._wake.set()

    @property
    def pending(self) -> int:
        return self._pending + self._whole_pending

    # ------------------------------------------------------------------------------ writing

    def flush(self) -> bool:
        """Writes everything pending now; True when nothing failed. Never raises an I/O error."""
        with self._io_lock:
            with self._lock:
                logs, self._logs = self._logs, []
                metrics, self._metrics = self._metrics, {}
                tracks, self._tracks = self._tracks, {}
                self._pending = 0
            ok = True
            if logs:
                ok &= self._in_chunks(
                    ("logs", None), logs, self.sink.append_logs, lambda rest: self._requeue_logs(rest)
                )
            for name, stream in metrics.items():
                if stream.items:
                    ok &= self._in_chunks(
                        ("metric", name),
                        stream.items,
                        lambda part, s=stream, n=name: self.sink.append_metric(n, part, s.description, s.tags, s.metadata),
                        lambda rest, s=stream, n=name: self._requeue(self._metrics, n, _with_items(s, rest)),
                    )
            for folder, stream in tracks.items():
                if stream.items:
                    ok &= self._attempt(
                        ("track", folder),
                        lambda s=stream, f=folder: self.sink.append_track(s.topic or f, f, s.items),
                        lambda s=stream, f=folder: self._requeue(self._tracks, f, s),
                    )
            ok &= self._write_params()
            ok &= self._write_files()
            save_unsaved = getattr(self.sink, "save_unsaved", None)
            if save_unsaved is not None:
                ok &= self._attempt(("counters", None), save_unsaved, lambda: None)
            if ok and self._failing:
                self._failing = False
                self.say(f"the files of run {self.label} are being written again.")
                self._reported = {key for key in self._reported if key[0] in ("heartbeat", "status")}
            elif not ok:
                self._failing = True
                self._retry_at = time.monotonic() + max(self.flush_interval, 0.1)
            return bool(ok)

    def _in_chunks(
        self,
        key: Tuple[str, Any],
        items: List[str],
        write: Callable[[List[str]], None],
        requeue: Callable[[List[str]], None],
    ) -> bool:
        """Appends ``items`` in batches of at most ``flush_size``: after a long outage, a backlog larger
        than the free space still goes in as far as it fits. What fails goes back to the queue, in order."""
        size = self.flush_size
        ok = True
        for start in range(0, len(items), size):
            part = items if start == 0 and len(items) <= size else items[start : start + size]
            if not self._attempt(key, lambda p=part: write(p), lambda s=start: requeue(items[s:])):
                ok = False
                if self._pending_requeued:
                    break
        return ok

    def _attempt(self, key: Tuple[str, Any], write: Callable[[], None], requeue: Callable[[], None]) -> bool:
        try:
            write()
            return True
        except SidecarWriteError as error:
            # The data is written; only a counter file beside it waits (rewritten at the next flush).
            self._pending_requeued = False
            self.report(("counters", None), error.cause, "Its data is written; retrying the counter file.")
            return False
        except Exception as error:  # noqa: BLE001 - nothing may reach the training loop
            requeue()
            self._pending_requeued = True
            self.report(key, error, "Keeping the data in memory and retrying.")
            return False

    def drop_pending(self) -> int:
        """Drops what is still pending (a run ending while its disk refuses writes); counted as lost."""
        with self._io_lock, self._lock:
            count = self._pending + self._drop_whole()
            self._logs, self._metrics, self._tracks, self._pending = [], {}, {}, 0
        self.lost += count
        return count

    def status(self) -> Dict[str, Any]:
        """``state`` (ok, failing), ``pending`` records, ``errors`` (failed writes), ``lost`` records,
        ``lastError``."""
        out: Dict[str, Any] = {
            "state": "failing" if self._failing else "ok",
            "pending": self.pending,
            "errors": self.error_count,
            "lost": self.lost,
        }
        if self.last_error is not None:
            out["lastError"] = dict(self.last_error)
        return out

    def report(self, key: Tuple[str, Any], error: BaseException, consequence: str) -> None:
        """Keeps ``error`` in ``errors``, counts it, and writes it to stderr the first time ``key`` fails."""
        self.errors.append(error)
        del self.errors[:-20]
        self.error_count += 1
        code = getattr(error, "code", None)
        if not isinstance(code, str):
            errno_code = getattr(error, "errno", None)
            code = errno.errorcode.get(errno_code, "ERROR") if isinstance(errno_code, int) else "ERROR"
        self.last_error = {"code": code, "message": f"{type(error).__name__}: {error}", "at": _now_iso()}
        if key not in self._reported:
            self._reported.add(key)
            what = key[0] if key[1] is None else f"{key[0]} {key[1]!r}"
            self.say(f"could not write {what} of run {self.label}: {type(error).__name__}: {error}. {consequence}")

    @staticmethod
    def say(message: str) -> None:
        """One line on stderr (``[labrun] …``); never raises."""
        try:
            sys.stderr.write(f"[labrun] {message}\n")
        except Exception:  # noqa: BLE001 - stderr may be closed at exit
            pass

    def _requeue_logs(self, logs: List[str]) -> None:
        with self._lock:
            self._logs[:0] = logs
            self._pending += len(logs)

    def _requeue(self, table: Dict[Any, _Stream], key: Any, stream: _Stream) -> None:
        with self._lock:
            current = table.get(key)
            if current is None:
                table[key] = stream
            else:
                current.items[:0] = stream.items
                for attr in ("description", "tags", "metadata", "topic"):
                    if getattr(current, attr) is None:
                        setattr(current, attr, getattr(stream, attr))
            self._pending += len(stream.items)

    # ------------------------------------------------------------------------------ thread

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        thread = threading.Thread(target=_loop, args=(weakref.ref(self),), name=f"labrun-writer {self.label}", daemon=True)
        self._thread = thread
        thread.start()

    def stop(self) -> bool:
        """Stops the thread and writes what is pending; True when every record was written."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self._thread = None
        self.flush()
        return self.pending == 0

    def _tick(self) -> None:
        if self._on_tick is not None and self._tick_interval:
            now = time.monotonic()
            if now - self._last_tick >= self._tick_interval:
                self._last_tick = now
                try:
                    self._on_tick()
                except Exception as error:  # noqa: BLE001
                    self.report(("heartbeat", None), error, "Retrying at the next heartbeat.")


def _loop(ref: "weakref.ReferenceType[BackgroundWriter]") -> None:
    # Holds only a weak reference between rounds, so an abandoned Run can be collected.
    while True:
        writer = ref()
        if writer is None or writer._stop.is_set():
            return
        wake, stop, interval = writer._wake, writer._stop, writer.flush_interval
        del writer
        wake.wait(interval)
        wake.clear()
        if stop.is_set():
            return
        writer = ref()
        if writer is None:
            return
        writer.flush()
        writer._tick()
        del writer
