"""The background writer: keeps new log records, metric points and track entries in memory and appends
them in batches, so a call in the training loop never waits for the disk.

A batch is written when the pending records pass ``flush_size``, every ``flush_interval`` seconds, on
``flush()``, before a status change and at exit. Values are encoded to JSON by the call that logs them
(that is where a bad value must fail), so the writer thread only joins strings and writes.

An I/O error never reaches the training loop: the batch stays pending and is retried at the next flush,
the error is kept in ``errors`` and reported once on stderr. Only when the writer cannot keep up (more
than ``max_pending`` records waiting, e.g. a stalled disk) does a logging call write the batch itself:
that bounds memory while logging millions of points.
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._store import RunStore


class _Stream:
    __slots__ = ("items", "description", "tags", "metadata", "topic")

    def __init__(self) -> None:
        self.items: List[Any] = []
        self.description: Optional[str] = None
        self.tags: Optional[List[str]] = None
        self.metadata: Optional[Dict[str, Any]] = None
        self.topic: Optional[str] = None


class BackgroundWriter:
    def __init__(
        self,
        store: RunStore,
        flush_interval: float = 1.0,
        flush_size: int = 10_000,
        max_pending: int = 200_000,
        on_tick: Optional[Callable[[], None]] = None,
        tick_interval: Optional[float] = None,
        label: str = "",
    ) -> None:
        self.store = store
        self.flush_interval = max(0.01, float(flush_interval))
        self.flush_size = max(1, int(flush_size))
        self.max_pending = max(self.flush_size, int(max_pending))
        self.label = label
        self.errors: List[BaseException] = []
        self._reported: set = set()
        # _lock guards the pending buffers (held for microseconds); _io_lock serialises writing, so the
        # order of batches on disk is the order of the calls. Both re-entrant: a SIGTERM handler may flush
        # while the interrupted main thread holds them.
        self._lock = threading.RLock()
        self._io_lock = threading.RLock()
        self._logs: List[str] = []
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

    def add_log(self, encoded: str) -> None:
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
            if pending >= self.max_pending or self._thread is None or not self._thread.is_alive():
                self.flush()
            else:
                self._wake.set()

    @property
    def pending(self) -> int:
        return self._pending

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
                ok &= self._attempt(("logs", None), lambda: self.store.append_logs(logs), lambda: self._requeue_logs(logs))
            for name, stream in metrics.items():
                if stream.items:
                    ok &= self._attempt(
                        ("metric", name),
                        lambda s=stream, n=name: self.store.append_metric(n, s.items, s.description, s.tags, s.metadata),
                        lambda s=stream, n=name: self._requeue(self._metrics, n, s),
                    )
            for folder, stream in tracks.items():
                if stream.items:
                    ok &= self._attempt(
                        ("track", folder),
                        lambda s=stream, f=folder: self.store.append_track(s.topic or f, f, s.items),
                        lambda s=stream, f=folder: self._requeue(self._tracks, f, s),
                    )
            return bool(ok)

    def _attempt(self, key: Tuple[str, Any], write: Callable[[], None], requeue: Callable[[], None]) -> bool:
        try:
            write()
            return True
        except Exception as error:  # noqa: BLE001 - nothing may reach the training loop
            requeue()
            self.report(key, error, "Keeping the data in memory and retrying at the next flush.")
            return False

    def report(self, key: Tuple[str, Any], error: BaseException, consequence: str) -> None:
        """Keeps ``error`` in ``errors`` and writes it to stderr the first time ``key`` fails."""
        self.errors.append(error)
        del self.errors[:-20]
        if key not in self._reported:
            self._reported.add(key)
            what = key[0] if key[1] is None else f"{key[0]} {key[1]!r}"
            try:
                sys.stderr.write(
                    f"[labrun] could not write {what} of run {self.label}: {type(error).__name__}: {error}. "
                    f"{consequence}\n"
                )
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
        """Stops the thread and writes what is pending; True when everything was written."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self._thread = None
        return self.flush()

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
