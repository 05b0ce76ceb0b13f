"""Who owns a run (host, pid, process start), whether that owner is still alive, and the process-wide
hooks that close open runs: atexit, SIGTERM, uncaught exceptions."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from . import _jsonio as jio

_HOST: Optional[str] = None


def hostname() -> str:
    global _HOST
    if _HOST is None:
        _HOST = socket.gethostname()
    return _HOST


def process_start(pid: int) -> Optional[str]:
    """Field 22 of /proc/<pid>/stat (start time in clock ticks): tells a reused pid apart. None off Linux."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    rest = raw[raw.rfind(")") + 2 :].split()
    # rest[0] is field 3, so field 22 is rest[19].
    return rest[19] if len(rest) > 19 else None


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return False
    rest = raw[raw.rfind(")") + 2 :].split()
    return bool(rest) and rest[0] in ("Z", "X")


def pid_alive(pid: Any, start: Any = None) -> bool:
    """True when process ``pid`` runs on this host (and, when known, started at ``start``)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    except OSError:
        return False
    if _is_zombie(pid):
        return False
    if start is not None:
        current = process_start(pid)
        if current is not None and str(current) != str(start):
            return False
    return True


def owner_fields(heartbeat_interval: float) -> Dict[str, Any]:
    pid = os.getpid()
    return {
        "heartbeatIntervalSec": int(heartbeat_interval) if float(heartbeat_interval).is_integer() else heartbeat_interval,
        "host": hostname(),
        "pid": pid,
        "processStart": process_start(pid),
    }


def derive_status(doc: Optional[Dict[str, Any]], now: Optional[float] = None) -> Tuple[str, bool, Optional[str]]:
    """``(status, died, reason)`` a reader reports for a recorded experiment.json (the format's rules):
    a RUNNING run whose owner is gone is reported FAILED with ``died`` and a reason."""
    if not isinstance(doc, dict):
        return "UNKNOWN", False, None
    status = doc.get("status")
    if not isinstance(status, str) or not status:
        return "UNKNOWN", False, None
    reason = doc.get("statusReason") if isinstance(doc.get("statusReason"), str) else None
    if status != "RUNNING":
        return status, False, reason
    host = doc.get("host")
    if host == hostname():
        if not pid_alive(doc.get("pid"), doc.get("processStart")):
            return "FAILED", True, "process died"
        return "RUNNING", False, reason
    beat = doc.get("heartbeatAt")
    beat_at = jio.epoch_from_iso(beat)
    interval = doc.get("heartbeatIntervalSec")
    interval = float(interval) if isinstance(interval, (int, float)) and not isinstance(interval, bool) else 15.0
    limit = max(60.0, 4 * interval)
    if beat_at is None or (now if now is not None else time.time()) - beat_at > limit:
        return "FAILED", True, f"no heartbeat since {beat}"
    return "RUNNING", False, reason


def owner_is_live(doc: Optional[Dict[str, Any]]) -> bool:
    """True when ``doc`` is RUNNING under another process that is still alive (or beating)."""
    if not isinstance(doc, dict) or doc.get("status") != "RUNNING":
        return False
    if doc.get("host") == hostname() and doc.get("pid") == os.getpid():
        # This very process: a Run it left open (and may still be closing); not someone else.
        return False
    status, died, _ = derive_status(doc)
    return status == "RUNNING" and not died


# ------------------------------------------------------------------------------ process-wide hooks

_open_runs: List[Any] = []
_registry_lock = threading.RLock()
_hooks_installed = False
_previous_sigterm: Any = None
_previous_excepthook: Any = None
_uncaught: Optional[BaseException] = None


def _forget_in_child() -> None:
    # A forked child shares the parent's open runs but owns none of them: its exit or its SIGTERM must not
    # end them, and the parent's writer threads do not exist in it.
    global _uncaught
    with _registry_lock:
        del _open_runs[:]
    _uncaught = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def register(run: Any, handle_signals: bool) -> None:
    with _registry_lock:
        if run not in _open_runs:
            _open_runs.append(run)
    _install_hooks(handle_signals)


def unregister(run: Any) -> None:
    with _registry_lock:
        if run in _open_runs:
            _open_runs.remove(run)


def open_runs() -> List[Any]:
    with _registry_lock:
        return list(_open_runs)


def _install_hooks(handle_signals: bool) -> None:
    global _hooks_installed, _previous_excepthook, _previous_sigterm
    with _registry_lock:
        if not _hooks_installed:
            _hooks_installed = True
            atexit.register(_at_exit)
            _previous_excepthook = sys.excepthook
            sys.excepthook = _excepthook
        if handle_signals and _previous_sigterm is None and threading.current_thread() is threading.main_thread():
            try:
                current = signal.getsignal(signal.SIGTERM)
                if current is signal.SIG_IGN:
                    return
                _previous_sigterm = current if current is not None else signal.SIG_DFL
                signal.signal(signal.SIGTERM, _on_sigterm)
            except (ValueError, OSError):  # not the main thread of the main interpreter
                pass


def _excepthook(exc_type: Any, exc: BaseException, tb: Any) -> None:
    global _uncaught
    _uncaught = exc
    hook = _previous_excepthook or sys.__excepthook__
    hook(exc_type, exc, tb)


def _at_exit() -> None:
    """Closes what is still open at interpreter exit: an uncaught exception → FAILED (CANCELLED for Ctrl-C),
    otherwise COMPLETED. Everything pending is flushed first."""
    for run in reversed(open_runs()):
        try:
            if _uncaught is not None:
                run._close_after(_uncaught)
            else:
                run._close_final("COMPLETED", None, None)
        except Exception:  # noqa: BLE001 - exit must go on
            pass


def _on_sigterm(signum: int, frame: Any) -> None:
    for run in reversed(open_runs()):
        try:
            run._close_final("CANCELLED", "SIGTERM", None)
        except Exception:  # noqa: BLE001
            pass
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
        return
    # Default action: end the process. SystemExit unwinds `with` blocks and `finally` clauses (the runs
    # are already closed, so they do nothing more); 128 + 15 is the shell's code for a SIGTERM death.
    raise SystemExit(128 + signum)
