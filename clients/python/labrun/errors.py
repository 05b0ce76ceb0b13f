"""Every error a user of the tracking client can cause.

Each class has a stable ``code`` (the same strings as the TypeScript SDK, so scripts can match on them)
and a message that says what to do next. Errors raised while writing in the background are never raised
into the training loop; they are kept on ``Run.write_errors`` and reported once on stderr.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional


class LabrunError(Exception):
    """Base class of every labrun error. ``code`` is stable; ``details`` holds the values involved."""

    code: str = "LABRUN_ERROR"

    def __init__(self, message: str, details: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: Dict[str, Any] = dict(details or {})

    def to_dict(self) -> Dict[str, Any]:
        """The wire form ``{code, message, details}`` used across the HTTP API."""
        return {"code": self.code, "message": self.message, "details": dict(self.details)}


class InvalidPrefixError(LabrunError, ValueError):
    """A run prefix that is empty, absolute, or has empty, ``.`` or ``..`` segments."""

    code = "INVALID_PREFIX"

    def __init__(self, prefix: Any, problem: str) -> None:
        super().__init__(
            f"Invalid run prefix {prefix!r}: {problem}. Use 'owner/project/path.../name', "
            f"for example 'alice/vision/resnet50'.",
            {"prefix": prefix, "problem": problem},
        )


class InvalidTrackingNameError(LabrunError, ValueError):
    """A metric name, track topic, file folder or file name that is not allowed (it could leave the run's
    folder, or it is reserved)."""

    code = "INVALID_TRACKING_NAME"

    def __init__(self, kind: str, name: Any, problem: str) -> None:
        hint = {
            "file name": "Use one name such as 'model.pt'; put folders in the prefix: run.files('ckpt/best')",
            "file folder": "Use a relative folder such as 'models' or 'ckpt/best'",
            "track topic": "Use a topic such as 'robot/position'",
        }.get(kind, "Use one path segment such as 'train' or 'eval'")
        super().__init__(
            f"Invalid {kind} {name!r}: {problem}. {hint}.",
            {"kind": kind, "name": name, "problem": problem},
        )


class TrackingValueError(LabrunError, TypeError):
    """A value that cannot be stored as JSON (an object, a set, bytes, a key that is not a string...)."""

    code = "TRACKING_VALUE"

    def __init__(self, path: str, value: Any, problem: Optional[str] = None) -> None:
        super().__init__(
            f"Cannot store the {type(value).__name__} value at '{path}'"
            + (f" ({problem})" if problem else "")
            + ": only numbers (NaN and Infinity included), strings, booleans, None, lists and dicts with string "
            "keys are stored. Convert it first (float(x), str(x), x.tolist()).",
            {"path": path, "type": type(value).__name__},
        )


class InvalidLogLevelError(LabrunError, ValueError):
    """A log level other than debug, info, warn, error, fatal (code TRACKING_VALUE, as in TypeScript)."""

    code = "TRACKING_VALUE"

    def __init__(self, level: Any) -> None:
        super().__init__(
            f"Invalid log level {level!r}. Use one of: debug, info, warn, error, fatal.",
            {"level": level},
        )


class InvalidArgumentError(LabrunError, ValueError):
    """A bad option value (``_ts``, ``max_points``, ``tail``, a file source, ...): code TRACKING_VALUE, the
    TypeScript SDK's code for bad values and options."""

    code = "TRACKING_VALUE"


class NoCurrentRunError(LabrunError, RuntimeError):
    """``Run.current()`` outside a launched job: the environment does not name a run."""

    code = "NO_CURRENT_RUN"

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"No run is bound to this process ({missing} is not set). Run.current() works inside a job "
            f"launched by labrun; elsewhere open one with Run(prefix='owner/project/name').",
            {"missing": missing},
        )


class RunNotFoundError(LabrunError, LookupError):
    code = "RUN_NOT_FOUND"

    def __init__(self, prefix: str, folder: str) -> None:
        super().__init__(
            f"No run '{prefix}' under {folder}. Check the prefix, or set LABRUN_RUNS / LABRUN_HOME if the "
            f"runs live elsewhere.",
            {"prefix": prefix, "folder": folder},
        )


class RunBusyError(LabrunError, RuntimeError):
    """The run is RUNNING under another live process: open it with ``attach=True`` to add data only."""

    code = "RUN_BUSY"

    def __init__(self, prefix: str, host: Any, pid: Any) -> None:
        super().__init__(
            f"Run '{prefix}' is RUNNING in process {pid} on {host}. Wait for it to end, stop that process, "
            f"or open the run with attach=True to add data without owning its status.",
            {"prefix": prefix, "host": host, "pid": pid},
        )


class RunWriteError(LabrunError, OSError):
    """Records could not be written to a run's files (a full disk) and were not kept. Never raised into a
    training loop (see ``Run.write_status()``); the code ``labrun log`` exits with."""

    code = "RUN_WRITE_FAILED"

    def __init__(self, prefix: str, lost: int, cause: Any = None) -> None:
        super().__init__(
            f"Could not write {lost} record(s) to run '{prefix}': {cause or 'I/O error'}. Nothing of it was "
            f"stored (the files end with their last whole record). Free some disk space and try again.",
            {"prefix": prefix, "lost": lost},
        )


class RunStateError(LabrunError, RuntimeError):
    """An operation that the run's lifecycle does not allow (writing to a closed run, ...)."""

    code = "RUN_STATE"


class TrackedFileNotFoundError(LabrunError, FileNotFoundError):
    code = "TRACKED_FILE_NOT_FOUND"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"No file '{name}' in this run. List the stored files with run.files().list().",
            {"name": name},
        )


RunFileNotFoundError = TrackedFileNotFoundError


class ChecksumMismatchError(LabrunError, IOError):
    code = "CHECKSUM_MISMATCH"

    def __init__(self, name: str, expected: str, actual: str) -> None:
        super().__init__(
            f"Stored file '{name}' does not match its sha256 checksum (expected {expected}, got {actual}); "
            f"it was changed on disk after it was saved. Save it again.",
            {"name": name, "expected": expected, "actual": actual},
        )


class CorruptRecordError(LabrunError, ValueError):
    code = "CORRUPT_RECORD"

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(
            f"{file} cannot be read ({problem}). labrun left it as it is and will not write over it: repair it "
            f"by hand or restore it from a backup; delete it (or its folder) only if what it held may be lost. "
            f"Listings skip it with a warning meanwhile.",
            {"file": file, "problem": problem},
        )


class CorruptRecordWarning(UserWarning):
    """A listing skipped a record whose file cannot be read (``Run.list``); ``file`` and ``problem`` say
    which and why. The TypeScript CLI prints the same as ``warning <file>: <problem>``."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem} (skipped)")
        self.file = file
        self.problem = problem


__all__ = [
    "LabrunError",
    "InvalidPrefixError",
    "InvalidTrackingNameError",
    "TrackingValueError",
    "RunBusyError",
    "RunWriteError",
    "InvalidLogLevelError",
    "InvalidArgumentError",
    "NoCurrentRunError",
    "RunNotFoundError",
    "RunStateError",
    "TrackedFileNotFoundError",
    "RunFileNotFoundError",
    "ChecksumMismatchError",
    "CorruptRecordError",
    "CorruptRecordWarning",
]
