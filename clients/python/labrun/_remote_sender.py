"""The sender of remote mode: one background thread per run sends its batches and file uploads in order.

Every batch is written to the on-disk buffer first (``<LABRUN_HOME>/buffer/<prefix>/<clientId>-<seq>.json``,
atomically, the same envelope as the TypeScript SDK's, so ``labrun sync`` sends either), then POSTed with its
``(clientId, seq)`` until the server acknowledges it (a retried batch is stored once), then deleted. A refused
token (401/403) stops sending for the session (state ``refused``) and keeps every batch in the buffer for
``labrun sync``; other 4xx than 408/429 mean an invalid batch: it moves to ``rejected/``. Nothing here raises
into the caller.
"""

from __future__ import annotations

import collections
import json
import os
import random
import sys
import threading
import time
import uuid
from typing import Any, Deque, Dict, Optional

from ._remote_buffer import _code, _Item, _now, _write_atomic, default_buffer_root, reject_buffered, remove_buffered
from ._remote_errors import ServerUnreachableError, is_auth_refusal, is_retryable
from ._remote_http import HttpClient, wire_dumps

IN_MEMORY = 64


class RemoteSender:
    def __init__(
        self,
        url: str,
        token: Optional[str],
        prefix: str,
        upsert: Dict[str, Any],
        buffer_root: Optional[str] = None,
        retry_delay: float = 0.25,
        max_retry_delay: float = 30.0,
        quiet: bool = False,
        attach: bool = False,
        max_memory: int = 64 * 1024 * 1024,
    ) -> None:
        self.client = HttpClient(url, token)
        # An attached writer uses an existing run as it is (an upsert would mark it RUNNING again).
        self.attach = attach
        self.prefix = prefix
        self.upsert = upsert
        self.client_id = str(uuid.uuid4())
        self.buffer_dir = os.path.join(buffer_root or default_buffer_root(), *prefix.split("/"))
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.quiet = quiet
        self.run_id: Optional[str] = None
        self._queue: Deque[_Item] = collections.deque()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._next_seq = 1
        self._next_file = 1
        self._next_order = 1
        self._state = "connecting"
        self._reported: set = set()
        self.counts = {"acknowledged": 0, "duplicates": 0, "uploaded": 0, "rejected": 0, "retries": 0, "errors": 0, "lost": 0}
        # Characters of the batches held in memory only (their buffer file could not be written): bounded.
        self.max_memory = int(max_memory)
        self._memory = 0
        self.last_error: Optional[Dict[str, str]] = None
        self._status_written = 0.0
        self._recreated = False
        self._thread = threading.Thread(target=self._loop, name=f"labrun-remote {prefix}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------------------ producer side

    def enqueue_batch(self, fields: Dict[str, Any], final: bool = False) -> None:
        """Queues a batch (RunBatch fields without clientId/seq); written to the buffer first."""
        self.enqueue_text(wire_dumps(fields)[1:-1], final)

    def enqueue_text(self, inner: str, final: bool = False) -> None:
        """Queues a batch given as the JSON text of its fields without the braces (``"metrics":[...]``).
        ``final`` (the batch of the final status) is kept even when memory is over ``max_memory``."""
        with self._lock:
            seq = self._next_seq
            self._next_seq += 1
            order = self._next_order
            self._next_order += 1
            text = f'{{"clientId":{json.dumps(self.client_id)},"seq":{seq}' + (f",{inner}}}" if inner else "}")
            envelope = self._envelope("batch", order, f'"seq":{seq},"batch":{text}')
            name = f"{self.client_id}-{seq}.json"
            path = self._write(name, envelope)
            if path is None and not self._hold_in_memory(len(envelope) + len(text), final):
                return
            keep = path is None or len(self._queue) < IN_MEMORY
            item = _Item("batch", seq, path, text if keep else None, None)
            if path is None:
                item.unwritten = (name, envelope)
            self._queue.append(item)
            self._changed.notify_all()
        self._wake.set()

    def enqueue_file(self, upload: Dict[str, Any], data: Optional[bytes] = None) -> None:
        """Queues a file upload: ``folder, filename, sha256, size, contentType, source, staged``; ``data`` holds
        the bytes in memory when the buffer's disk refused the staged copy (capped like batches)."""
        with self._lock:
            n = self._next_file
            self._next_file += 1
            order = self._next_order
            self._next_order += 1
            envelope = self._envelope("file", order, f'"n":{n},' + json.dumps(upload)[1:-1])
            name = f"{self.client_id}-f{n}.file.json"
            path = self._write(name, envelope)
            held = (0 if path else len(envelope)) + len(data or b"")
            if held and not self._hold_in_memory(held, False):
                if path is not None:
                    os.remove(path)
                return
            item = _Item("file", n, path, None, json.loads(envelope))
            item.data = data
            if path is None:
                item.unwritten = (name, envelope)
            self._queue.append(item)
            self._changed.notify_all()
        self._wake.set()

    def staged_path(self) -> str:
        return os.path.join(self.buffer_dir, f"{self.client_id}-{uuid.uuid4()}.bin")

    def drain(self, timeout: float) -> bool:
        """Waits until everything queued is acknowledged (or refused), at most ``timeout`` seconds."""
        self._wake.set()
        with self._lock:
            self._changed.wait_for(lambda: not self._queue or self._state == "refused" or self._stop.is_set(), timeout)
            return not self._queue

    def stop(self) -> None:
        """Stops the thread; what is not acknowledged stays in the buffer for ``labrun sync``."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake.set()
        with self._lock:
            self._changed.notify_all()
            # Batches the buffer refused when they were queued (a full disk): the disk may take them now.
            for item in self._queue:
                if item.data is not None and not self._write_held_bytes(item):
                    break
                if item.path is not None or item.unwritten is None:
                    continue
                target = os.path.join(self.buffer_dir, item.unwritten[0])
                try:
                    _write_atomic(target, item.unwritten[1])
                except OSError:
                    break  # still full: keep the order, what follows stays unwritten too
                item.path, item.unwritten = target, None
            left = sum(1 for item in self._queue if item.path is not None)
            lost = len(self._queue) - left
            self.counts["lost"] += lost
        self._persist_status(True)
        if left:
            self._say(
                f"remote: {left} batch(es) of run {self.prefix} were not acknowledged by {self.client.url}; they are "
                f"kept in {self.buffer_dir}. Run `labrun sync` to send them."
            )
        if lost:
            self._say(f"remote: {lost} batch(es) of run {self.prefix} could not be written to the buffer and are lost.")

    def status(self) -> Dict[str, Any]:
        with self._lock:
            pending = len(self._queue)
        status: Dict[str, Any] = {
            "url": self.client.url,
            "prefix": self.prefix,
            "clientId": self.client_id,
            "state": "closed" if self._stop.is_set() else self._state,
            "acknowledgedBatches": self.counts["acknowledged"],
            "duplicateBatches": self.counts["duplicates"],
            "uploadedFiles": self.counts["uploaded"],
            "pending": pending,
            "rejected": self.counts["rejected"],
            "retries": self.counts["retries"],
            "errors": self.counts["errors"],
            "lost": self.counts["lost"],
            "bufferDir": self.buffer_dir,
        }
        if self.run_id:
            status["runId"] = self.run_id
        if self.last_error:
            status["lastError"] = dict(self.last_error)
        return status

    # ------------------------------------------------------------------------------ internals

    def _envelope(self, kind: str, order: int, rest: str) -> str:
        head = {
            "labrunBuffer": 1,
            "kind": kind,
            "url": self.client.url,
            "prefix": self.prefix,
            "upsert": self.upsert,
            "clientId": self.client_id,
            "order": order,
            "createdAt": _now(),
        }
        return json.dumps(head, separators=(",", ":"))[:-1] + "," + rest + "}"

    def _hold_in_memory(self, size: int, final: bool) -> bool:
        """A batch the buffer refused is held in memory only (called under the lock); past ``max_memory`` (the
        server not taking them either) it is dropped and counted as lost. False when dropped."""
        if final or self._memory + size <= self.max_memory:
            self._memory += size
            return True
        self.counts["lost"] += 1
        self._error(
            MemoryError(f"over {self.max_memory} characters of batches wait in memory"),
            "memory",
            f"remote: the buffer in {self.buffer_dir} cannot be written and {self.client.url} has not taken the "
            f"{len(self._queue)} batch(es) held in memory (over {self.max_memory} characters); new batches are "
            f"dropped, counted in remote_status()['lost'], and the run will not end COMPLETED",
        )
        return False

    def _write_held_bytes(self, item: _Item) -> bool:
        """Writes a held file's bytes to their staged path; when the disk still refuses, its envelope goes too."""
        source = (item.upload or {})["source"]
        try:
            with open(source, "wb") as f:
                f.write(item.data or b"")
            item.data = None
            return True
        except OSError:
            for path in (source, item.path):
                try:
                    if path:
                        os.remove(path)
                except OSError:
                    pass
            item.path, item.unwritten = None, None
            return False

    def _forget(self, item: _Item) -> None:
        if item.unwritten is not None:
            self._memory -= len(item.unwritten[1]) + len(item.text or "")
        if item.data is not None:
            self._memory -= len(item.data)

    def _write(self, name: str, text: str) -> Optional[str]:
        path = os.path.join(self.buffer_dir, name)
        try:
            _write_atomic(path, text)
            return path
        except OSError as error:
            self._error(error, "buffer", f"remote: cannot write the buffer in {self.buffer_dir}: {error}; keeping batches in memory only")
            return None

    def _persist_status(self, force: bool) -> None:
        """``remote-status.json`` in the run's buffer folder: what ``labrun runs show`` prints."""
        now = time.monotonic()
        if not force and now - self._status_written < 1.0:
            return
        self._status_written = now
        try:
            _write_atomic(os.path.join(self.buffer_dir, "remote-status.json"), json.dumps({**self.status(), "savedAt": _now()}) + "\n")
        except OSError:
            pass

    def _say(self, message: str) -> None:
        if self.quiet:
            return
        try:
            sys.stderr.write(f"[labrun] {message}\n")
        except Exception:  # noqa: BLE001 - stderr may be closed at exit
            pass

    def _error(self, error: BaseException, kind: str, message: str) -> None:
        self.counts["errors"] += 1
        self.last_error = {"code": _code(error), "message": str(error), "at": _now()}
        if kind not in self._reported:
            self._reported.add(kind)
            self._say(message)

    def _loop(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            with self._lock:
                head = self._queue[0] if self._queue else None
            if self.run_id is not None and head is None:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            if self._state == "refused":
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            try:
                if self.run_id is None:
                    self.run_id = self._existing_run_id() or self.client.request("POST", "/api/runs", body=self.upsert)["run"]["id"]
                else:
                    self._send(head)  # type: ignore[arg-type]
                    self._done(head)  # type: ignore[arg-type]
                if self._state == "retrying":
                    self._say(f"remote: {self.client.url} answers again")
                    self._reported = {k for k in self._reported if not str(k).startswith("retry:")}
                if self._state != "online":
                    self._state = "online"
                    self._persist_status(True)
                else:
                    self._persist_status(False)
                delay = 0.0
            except Exception as error:  # noqa: BLE001 - nothing may reach the training loop
                if is_retryable(error):
                    self.counts["retries"] += 1
                    self._error(error, f"retry:{_code(error)}", f"remote: {_code(error)}: {error}; keeping batches in {self.buffer_dir} and retrying")
                    if self._state != "retrying":
                        self._state = "retrying"
                        self._persist_status(True)
                    delay = min(self.max_retry_delay, delay * 2 if delay else self.retry_delay)
                    self._stop.wait(delay * (0.5 + random.random() / 2))
                elif _code(error) == "RUN_NOT_FOUND" and self.run_id is not None and not self._recreated:
                    # The server lost the run (a new database, a deleted run): create it again, once, and resend.
                    self._recreated = True
                    self.run_id = None
                    self._error(error, "recreate", f"remote: the server no longer has run {self.prefix}; creating it again")
                elif self.run_id is None or is_auth_refusal(error):
                    # The run itself, or the token (expired, revoked, read-only): nothing was judged, so every
                    # batch stays in the buffer, in order, for `labrun sync` with a valid token.
                    self._state = "refused"
                    self._persist_status(True)
                    self._error(error, "refused", f"remote: the server refuses run {self.prefix}: {_code(error)}: {error}. Its batches stay in {self.buffer_dir}; fix the problem and run `labrun sync`")
                    with self._lock:
                        self._changed.notify_all()
                else:
                    self.counts["rejected"] += 1
                    self._error(error, f"reject:{_code(error)}", f"remote: the server refused {head.kind} {head.seq} of run {self.prefix}: {_code(error)}: {error}")  # type: ignore[union-attr]
                    self._reject(head, error)  # type: ignore[arg-type]

    def _existing_run_id(self) -> Optional[str]:
        if not self.attach:
            return None
        try:
            return self.client.request("GET", "/api/runs/by-prefix", query={"prefix": self.prefix})["run"]["id"]
        except Exception as error:  # noqa: BLE001
            if _code(error) == "RUN_NOT_FOUND":
                return None
            raise

    def _upload(self, run_path: str, upload: Dict[str, Any], raw: Any, size: int) -> None:
        self.client.request(
            "PUT",
            f"{run_path}/files",
            query={"prefix": upload.get("folder") or "", "filename": upload["filename"]},
            raw=raw,
            headers={
                "Content-Type": upload.get("contentType") or "application/octet-stream",
                "Content-Length": str(size),
                "X-Labrun-Sha256": upload["sha256"],
            },
            timeout=300,
        )

    def _send(self, item: _Item) -> None:
        run_path = f"/api/runs/{self.run_id}"
        if item.kind == "file":
            upload = item.upload or {}
            if item.data is not None:
                self._upload(run_path, upload, item.data, len(item.data))
                self.counts["uploaded"] += 1
                return
            if not os.path.exists(upload["source"]):
                # Replaced or deleted before its turn: nothing left to send.
                raise FileNotFoundError(f"{upload['source']} was removed before it was uploaded")
            with open(upload["source"], "rb") as f:  # streamed, not read into memory
                self._upload(run_path, upload, f, os.fstat(f.fileno()).st_size)
            self.counts["uploaded"] += 1
            return
        text = item.text
        if text is None and item.path is not None:
            try:
                with open(item.path, "r", encoding="utf-8") as f:
                    text = json.dumps(json.loads(f.read())["batch"], separators=(",", ":"))
            except FileNotFoundError:
                return  # `labrun sync` sent it meanwhile (it deletes a buffer file once the server has it)
        result = self.client.request("POST", f"{run_path}/batches", text=text or "{}", timeout=60)
        self.counts["acknowledged"] += 1
        if isinstance(result, dict) and result.get("duplicate"):
            self.counts["duplicates"] += 1

    def _done(self, item: _Item) -> None:
        remove_buffered(item)
        with self._lock:
            if self._queue and self._queue[0] is item:
                self._queue.popleft()
                self._forget(item)
            self._changed.notify_all()

    def _reject(self, item: _Item, error: BaseException) -> None:
        reject_buffered(item, error)
        with self._lock:
            if self._queue and self._queue[0] is item:
                self._queue.popleft()
                self._forget(item)
            self._changed.notify_all()


__all__ = ["RemoteSender", "ServerUnreachableError", "default_buffer_root"]
