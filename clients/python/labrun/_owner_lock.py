"""Exclusive ownership of a run folder: ``<run>/.owner.lock``, the same file (and the same rules) as the
TypeScript writer's (src/tracking/owner-lock.ts), so a Python and a TypeScript writer exclude each other.

The lock is created whole and at once: its content goes to a temporary file that is hard-linked to the
lock's name (``link`` fails when the name exists), so of writers starting at the same instant exactly one
gets it. A lock whose holder is provably dead (same host: the pid is gone or reused; another host: its
heartbeat in experiment.json stopped) is taken over without a race: the taker must first own the claim
``.owner.lock.<holder token>.takeover`` (the same primitive, one level down), then replaces the lock by
rename if it still names that holder. Claims are swept by the owner once a minute old.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from typing import Any, Dict, Optional, Union

from . import _process as proc
from . import _jsonio as jio

LOCK_FILE = ".owner.lock"
_CLAIMS_LIVE = 60.0
_MAX_DEPTH = 3


class OwnerLock:
    def __init__(self, path: str, holder: Dict[str, Any]) -> None:
        self.path = path
        self.holder = holder

    def release(self) -> None:
        """Removes the lock if it is still this one; sweeps old takeover claims."""
        current = read_holder(self.path)
        if current is not None and current.get("token") == self.holder["token"]:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        _sweep_claims(self.path)


def acquire(run_dir: str) -> Union[OwnerLock, Dict[str, Any]]:
    """Takes the lock of ``run_dir``: an ``OwnerLock``, or the holder (a dict) of a live writer's lock."""
    path = os.path.join(run_dir, LOCK_FILE)
    pid = os.getpid()
    me = {
        "pid": pid,
        "host": proc.hostname(),
        "processStart": proc.process_start(pid),
        "token": secrets.token_hex(12),
        "at": jio.utc_now_iso(),
    }
    result = _acquire(path, me, run_dir, 0)
    return OwnerLock(path, me) if result is True else result


def _acquire(path: str, me: Dict[str, Any], run_dir: str, depth: int) -> Union[bool, Dict[str, Any]]:
    for _ in range(100):
        if _create(path, me):
            return True
        holder = read_holder(path)
        if holder is None:
            continue  # let go meanwhile
        if _alive(holder, run_dir) or depth >= _MAX_DEPTH:
            return holder
        claim = _acquire(f"{path}.{holder['token']}.takeover", me, run_dir, depth + 1)
        if claim is not True:
            return claim  # another writer is taking it over: it will be the owner
        current = read_holder(path)
        if current is not None and current.get("token") == holder["token"]:
            os.replace(_write_temp(path, me), path)
            return True
    return {"pid": 0, "host": "unknown", "processStart": None, "token": "", "at": jio.utc_now_iso()}


def _create(path: str, me: Dict[str, Any]) -> bool:
    temp = _write_temp(path, me)
    try:
        os.link(temp, path)
        return True
    except FileExistsError:
        return False
    finally:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass


def _write_temp(path: str, me: Dict[str, Any]) -> str:
    temp = f"{path}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, (json.dumps(me) + "\n").encode("utf-8"))
    except BaseException:
        os.close(fd)
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    os.close(fd)
    return temp


def read_holder(path: str) -> Optional[Dict[str, Any]]:
    """The holder recorded in a lock file, None when there is none. An unreadable lock counts as dead."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    try:
        value = json.loads(raw.decode("utf-8"))
        if (
            isinstance(value, dict)
            and isinstance(value.get("pid"), int)
            and isinstance(value.get("token"), str)
            and isinstance(value.get("host"), str)
        ):
            return value
    except (ValueError, UnicodeDecodeError):
        pass
    try:
        stamp = str(os.stat(path).st_ino)
    except OSError:
        stamp = "0"
    return {"pid": 0, "host": "", "processStart": None, "token": f"unreadable-{stamp}", "at": ""}


def _alive(holder: Dict[str, Any], run_dir: str) -> bool:
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if holder.get("host") == proc.hostname():
        if pid == os.getpid():
            return False  # a leftover of this process (its open runs are checked before)
        return proc.pid_alive(pid, holder.get("processStart"))
    record = jio.read_json(os.path.join(run_dir, "experiment.json"), None)
    if isinstance(record, dict) and record.get("pid") == pid and record.get("host") == holder.get("host"):
        status, died, _ = proc.derive_status(record)
        return status == "RUNNING" and not died
    at = jio.epoch_from_iso(holder.get("at"))
    return at is not None and time.time() - at <= 60.0


def _sweep_claims(path: str) -> None:
    folder, name = os.path.split(path)
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if entry.startswith(name + ".") and entry.endswith(".takeover"):
            full = os.path.join(folder, entry)
            try:
                if now - os.stat(full).st_mtime > _CLAIMS_LIVE:
                    os.unlink(full)
            except OSError:
                pass
