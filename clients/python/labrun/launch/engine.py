"""Finding the labrun engine (the ``labrun`` CLI, Node.js) and talking to it. The Python client never
schedules: plans go to ``labrun plan run`` and inspection goes through the CLI's ``--json`` commands
(docs/plan-protocol.md)."""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from typing import Any, Dict, List, Optional

from ..errors import EngineError, EngineNotFoundError, LabrunError, error_from_wire

_ERROR_LINE = re.compile(r"^error \[([A-Z0-9_]+)\] (.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def engine_command() -> List[str]:
    """The command that runs the engine: ``$LABRUN_CLI`` (a ``.js`` file runs with ``$LABRUN_NODE`` or
    ``node``), else ``labrun`` on PATH, else the ``labrun`` of the nearest ``node_modules`` above the current
    folder (what ``npx labrun`` runs). ``EngineNotFoundError`` says how to install it."""
    tried = []
    cli = os.environ.get("LABRUN_CLI")
    if cli:
        if cli.endswith((".js", ".mjs")):
            node = os.environ.get("LABRUN_NODE") or shutil.which("node")
            if node and os.path.isfile(cli):
                return [node, cli]
            tried.append(f"LABRUN_CLI={cli} ({'no such file' if node else 'node is not on PATH'})")
        elif os.access(cli, os.X_OK) or shutil.which(cli):
            return [cli]
        else:
            tried.append(f"LABRUN_CLI={cli} (not an executable)")
    else:
        tried.append("$LABRUN_CLI (not set)")
    on_path = shutil.which("labrun")
    if on_path:
        return [on_path]
    tried.append("labrun on PATH")
    folder = os.getcwd()
    while True:
        local = os.path.join(folder, "node_modules", ".bin", "labrun")
        if os.access(local, os.X_OK):
            return [local]
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    tried.append("node_modules/.bin/labrun above the current folder (npx labrun)")
    raise EngineNotFoundError(tried)


def _workspace_args(workspace: Optional[str]) -> List[str]:
    return ["--workspace", workspace] if workspace else []


def cli_error(stderr: str, returncode: int, what: str) -> LabrunError:
    """The typed error of a failed CLI command (its ``error [CODE] message`` line), else ``EngineError``."""
    for line in reversed(_ANSI.sub("", stderr).splitlines()):
        match = _ERROR_LINE.match(line.strip())
        if match:
            return error_from_wire({"code": match.group(1), "message": match.group(2)})
    tail = stderr.strip()[-2000:] or "(no output)"
    return EngineError(f"`labrun {what}` failed with exit code {returncode}: {tail}", None, {"exitCode": returncode})


def run_cli(args: List[str], workspace: Optional[str] = None, timeout: Optional[float] = None) -> str:
    """Runs ``labrun <args>`` and returns its stdout, or raises the typed error it reported."""
    command = engine_command() + list(args) + _workspace_args(workspace)
    done = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise cli_error(done.stderr, done.returncode, " ".join(args[:2]))
    return done.stdout


def run_cli_json(args: List[str], workspace: Optional[str] = None, timeout: Optional[float] = None) -> Any:
    out = run_cli(list(args) + ["--json"], workspace, timeout)
    try:
        return json.loads(out)
    except ValueError:
        raise EngineError(f"`labrun {' '.join(args[:2])} --json` printed something that is not JSON: {out[:300]!r}")


class PlanRun:
    """One ``labrun plan run - --events fd:N`` process: the plan goes on its stdin, its human output goes to
    this process's terminal untouched, and its events are read by a thread (so a busy caller never blocks
    the engine on a full pipe)."""

    def __init__(self, plan: Dict[str, Any], workspace: Optional[str] = None) -> None:
        self.events: List[Dict[str, Any]] = []
        self.planned: Optional[Dict[str, Any]] = None
        self.result: Optional[Dict[str, Any]] = None
        self.error: Optional[Dict[str, Any]] = None
        self.interrupted = False
        self.terminated = False
        self._waiting = False
        self._previous_sigterm: Any = None
        self._changed = threading.Condition()
        engine = engine_command()
        read_end, write_end = os.pipe()
        command = engine + ["plan", "run", "-", "--events", f"fd:{write_end}"] + _workspace_args(workspace)
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, pass_fds=(write_end,), preexec_fn=_die_with_this_process()
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self._reader = threading.Thread(target=self._read, args=(read_end,), name="labrun-events", daemon=True)
        self._reader.start()
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(plan, allow_nan=False).encode("utf-8"))
            self.process.stdin.close()
        except BrokenPipeError:  # the engine stopped early; its error comes as an event or on stderr
            pass

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        # As for a TypeScript driver: SIGTERM cancels the unfinished jobs. The engine does it; this process
        # waits for it to finish (leaving through SystemExit(143) once it has).
        self.terminated = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        if not self._waiting:
            raise SystemExit(128 + signal.SIGTERM)

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as stream:
            for line in stream:
                line = line.strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                with self._changed:
                    self.events.append(event)
                    kind = event.get("event")
                    if kind == "planned":
                        self.planned = event
                    elif kind == "result":
                        self.result = event
                    elif kind == "error":
                        self.error = event
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_planned(self) -> Dict[str, Any]:
        """Waits until the engine has planned (the experiment exists on disk) or failed."""
        with _SigintRecorder(self):
            with self._changed:
                while self.planned is None and self.error is None and self._reader.is_alive():
                    self._changed.wait(0.2)
        if self.planned is None:
            self.wait()
            raise self._failure()
        return self.planned

    def wait(self) -> Dict[str, Any]:
        """Waits for the engine to end; returns its ``result`` event (raises its typed error if it failed)."""
        self._waiting = True
        try:
            with _SigintRecorder(self):
                while True:
                    try:
                        self.process.wait(timeout=0.2)
                        break
                    except subprocess.TimeoutExpired:
                        continue
                self._reader.join()
        finally:
            self._waiting = False
            if self._previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self._previous_sigterm)
                self._previous_sigterm = None
        if self.terminated:
            raise SystemExit(128 + signal.SIGTERM)
        if self.result is None:
            raise self._failure()
        return self.result

    def _failure(self) -> LabrunError:
        if self.error is not None:
            return error_from_wire(self.error)
        code = self.process.poll()
        return EngineError(
            f"The labrun engine ended (exit code {code}) without a result; its messages are above.",
            None,
            {"exitCode": code},
        )


def _die_with_this_process() -> Any:
    """On Linux, the engine gets SIGKILL when this process dies: a Python driver killed with SIGKILL leaves
    the experiment exactly as a killed TypeScript driver does (jobs running, records on disk, `labrun
    experiment resume` takes over), instead of an engine still driving it behind a dead script."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    kill = int(signal.SIGKILL)

    def set_parent_death_signal() -> None:
        prctl(1, kill, 0, 0, 0)  # PR_SET_PDEATHSIG

    return set_parent_death_signal


class _SigintRecorder:
    """While the caller waits for the engine, Ctrl-C is the engine's to handle (it shares the terminal's
    process group: first Ctrl-C cancels the jobs, a second one detaches them); here it is only recorded."""

    def __init__(self, run: PlanRun) -> None:
        self.run = run
        self.previous: Any = None

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._record)
            if self.previous is None:  # installed outside Python: restore Python's default
                self.previous = signal.default_int_handler

    def _record(self, signum: int, frame: Any) -> None:
        # After the result, Ctrl-C stops the services the engine keeps up: the jobs were not interrupted.
        if self.run.result is None:
            self.run.interrupted = True

    def __exit__(self, *exc: Any) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
