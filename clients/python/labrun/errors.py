"""Every error a user of the Python client (tracking and launching) can cause.

Each class has a stable ``code`` (the same strings as the TypeScript SDK, so scripts can match on them)
and a message that says what to do next. Errors raised while writing in the background are never raised
into the training loop; they are kept on ``Run.write_errors`` and reported once on stderr.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence


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


class InvalidRegexError(InvalidArgumentError):
    """A ``regex`` that cannot run in linear time or does not parse: backreferences, lookaround, conditionals,
    atomic groups, possessive repeats and counts over 1000 are refused, as RE2 (the TypeScript side) refuses
    them. Code INVALID_REGEX, as in the TypeScript SDK and the server."""

    code = "INVALID_REGEX"

    def __init__(self, pattern: str, problem: str) -> None:
        shown = pattern if len(pattern) <= 200 else pattern[:200] + "…"
        super().__init__(
            f"{shown!r} is not a usable regular expression ({problem}). Patterns run in linear time (RE2's "
            f"rules): no backreferences or lookaround.",
            {"pattern": pattern, "problem": problem},
        )


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



# ---- Launching (Experiment, tasks, executors, the engine); the codes are TypeScript's (src/errors.ts) ----


class UnknownExperimentError(LabrunError, LookupError):
    """No experiment with this id (or title) in the workspace."""

    code = "EXPERIMENT_NOT_FOUND"

    def __init__(self, id_or_title: str, workspace: str = "the workspace") -> None:
        super().__init__(
            f"No experiment {id_or_title!r} in {workspace}. Run `labrun experiment list` to see the ids "
            f"(or set LABRUN_HOME if it lives elsewhere).",
            {"idOrTitle": id_or_title, "workspace": workspace},
        )


class UnknownJobError(LabrunError, LookupError):
    code = "JOB_NOT_FOUND"

    def __init__(self, job: str, experiment_id: str, known: Sequence[str]) -> None:
        super().__init__(
            f"Experiment {experiment_id} has no job {job!r}. Use a job index (0-{max(0, len(known) - 1)}) "
            f"or one of: {', '.join(list(known)[:20])}.",
            {"job": job, "experimentId": experiment_id, "known": list(known)},
        )


class DuplicateJobNameError(LabrunError, ValueError):
    code = "DUPLICATE_JOB_NAME"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"A job named {name!r} is already in this experiment. Give each job a unique `name`.", {"name": name}
        )


class UnknownDependencyError(LabrunError, ValueError):
    code = "UNKNOWN_DEPENDENCY"

    def __init__(self, job: str, dependency: str) -> None:
        super().__init__(
            f"Job {job!r} depends on {dependency!r}, which is not a job of this experiment. "
            f"Pass the id returned by `exp.add(...)` of a job added before it.",
            {"job": job, "dependency": dependency},
        )


class DependencyCycleError(LabrunError, ValueError):
    code = "DEPENDENCY_CYCLE"

    def __init__(self, cycle: Sequence[str]) -> None:
        super().__init__(
            f"Jobs depend on each other in a cycle: {' → '.join(cycle)}. Remove one of these dependencies.",
            {"cycle": list(cycle)},
        )


class TaskCannotStartError(LabrunError, ValueError):
    """A task that could not start (a missing file, an interpreter not on PATH)."""

    code = "TASK_CANNOT_START"


class InvalidTaskError(LabrunError, TypeError):
    """A task that cannot be described to the engine: a lambda or nested function given to ``Partial``, an
    argument that is not JSON, a ``Script`` with neither ``path`` nor ``inline``..."""

    code = "INVALID_TASK"


class InvalidExecutorError(LabrunError, TypeError):
    """An unknown executor option, or an option value the executor does not take."""

    code = "INVALID_EXECUTOR"


class ExperimentStateError(LabrunError, RuntimeError):
    """An operation the experiment's state does not allow (``add`` after ``run``, ``run`` twice...)."""

    code = "EXPERIMENT_STATE"


class ExperimentBusyError(LabrunError, RuntimeError):
    code = "EXPERIMENT_BUSY"


class ExperimentExistsError(LabrunError, FileExistsError):
    code = "EXPERIMENT_EXISTS"


class ExperimentFileError(LabrunError, ValueError):
    """An experiment file (``experiment.py``) that cannot be found or loaded, or has no ``run``."""

    code = "EXPERIMENT_FILE"


class UsageError(LabrunError, ValueError):
    code = "USAGE"


class UnknownKindError(LabrunError, ValueError):
    code = "UNKNOWN_KIND"


class ConfigFileError(LabrunError, ValueError):
    code = "CONFIG_FILE"


class ConfigParentCycleError(LabrunError, ValueError):
    code = "CONFIG_PARENT_CYCLE"


class ConfigValueError(LabrunError, ValueError):
    """A configuration value the experiment's ``@configuration`` dataclass rejects; the message starts
    with the key path (``learning_rates[1]: expected float, got str``)."""

    code = "CONFIG_VALUE"


class UnknownConfigKeyError(LabrunError, ValueError):
    code = "CONFIG_UNKNOWN_KEY"

    def __init__(self, key: str, known: Sequence[str], closest: Optional[str] = None) -> None:
        super().__init__(
            f"{key}: unknown configuration key"
            + (f"; did you mean {closest!r}?" if closest else ".")
            + f" Known keys here: {', '.join(list(known)[:30])} (declare new keys as fields of the "
            f"experiment's @configuration class).",
            {"key": key, "known": list(known), "closest": closest},
        )


class ConfigOverrideError(LabrunError, ValueError):
    code = "CONFIG_OVERRIDE"


class DirtyGitError(LabrunError, RuntimeError):
    """The git repository has uncommitted changes and ``dirty_git`` is ``error`` (experimaestro's)."""

    code = "DIRTY_GIT"

    def __init__(self, repository: str, where: str = "the experiment") -> None:
        super().__init__(
            f"The git repository {repository} has uncommitted changes and {where} sets `dirty_git: error`. "
            f"Commit (or stash) the changes, or use DirtyGitAction.WARN to run anyway.",
            {"repository": repository, "where": where},
        )


class TaskValidationError(LabrunError, TypeError):
    """Parameters of a typed task that its ``Param``/``Meta`` declarations reject; one line per field."""

    code = "TASK_VALIDATION"

    def __init__(self, task: str, issues: Sequence[str]) -> None:
        super().__init__(
            f"Parameters of task {task!r} are not valid: {'; '.join(issues)}. Fix them where the task is built.",
            {"task": task, "issues": list(issues)},
        )


class TunnelError(LabrunError, ConnectionError):
    code = "TUNNEL_FAILED"


class SlurmSubmitError(LabrunError, RuntimeError):
    code = "SLURM_SUBMIT_REJECTED"


class UncommittedChangesError(LabrunError, RuntimeError):
    code = "PACKAGE_UNCOMMITTED"


class PackagingError(LabrunError, RuntimeError):
    code = "PACKAGE_FAILED"


class PlanInvalidError(LabrunError, ValueError):
    """A plan the engine cannot read (not JSON, or not matching docs/plan-protocol.md): a client bug."""

    code = "PLAN_INVALID"


class PlanVersionError(LabrunError, ValueError):
    """The engine reads another plan version: install matching versions of the engine and this client."""

    code = "PLAN_VERSION"


class UnknownOptionError(LabrunError, TypeError):
    code = "UNKNOWN_OPTION"


class EngineNotFoundError(LabrunError, FileNotFoundError):
    """No labrun engine to hand the plan to: neither ``$LABRUN_CLI``, ``labrun`` on PATH, nor a project
    with ``node_modules/labrun``. The Python client never schedules jobs itself."""

    code = "ENGINE_NOT_FOUND"

    def __init__(self, tried: Sequence[str]) -> None:
        super().__init__(
            "Cannot find the labrun engine (tried: " + "; ".join(tried) + "). Install it with "
            "`npm install -g labrun` (Node.js >= 20), or `npm install labrun` in this project, or set "
            "LABRUN_CLI to the command that runs it (e.g. 'node /path/to/labrun/bin/labrun.js').",
            {"tried": list(tried)},
        )


class EngineError(LabrunError, RuntimeError):
    """An error the engine reported whose code has no class of its own in this client (a newer engine),
    or an engine that ended without saying why: its code, message and details as it gave them."""

    code = "ENGINE_FAILED"

    def __init__(self, message: str, code: Optional[str] = None, details: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(message, details)
        if code:
            self.code = code
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
    "UnknownExperimentError",
    "UnknownJobError",
    "DuplicateJobNameError",
    "UnknownDependencyError",
    "DependencyCycleError",
    "TaskCannotStartError",
    "InvalidTaskError",
    "InvalidExecutorError",
    "ExperimentStateError",
    "ExperimentBusyError",
    "ExperimentExistsError",
    "ExperimentFileError",
    "UsageError",
    "UnknownKindError",
    "ConfigFileError",
    "ConfigParentCycleError",
    "ConfigValueError",
    "UnknownConfigKeyError",
    "ConfigOverrideError",
    "DirtyGitError",
    "TaskValidationError",
    "TunnelError",
    "SlurmSubmitError",
    "UncommittedChangesError",
    "PackagingError",
    "PlanInvalidError",
    "PlanVersionError",
    "UnknownOptionError",
    "EngineNotFoundError",
    "EngineError",
    "CorruptRecordWarning",
]


def error_from_wire(error: Any) -> LabrunError:
    """The labrun error for the engine's (or the server's) ``{code, message, details}``: the class of this
    client with that code and the message as the engine wrote it, else ``EngineError`` with that code."""
    error = error if isinstance(error, Mapping) else {}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = error.get("message") if isinstance(error.get("message"), str) else "The labrun engine failed."
    details = error.get("details") if isinstance(error.get("details"), Mapping) else {}
    cls = _class_for(code) if code else None
    if cls is None:
        return EngineError(message, code, details)
    rebuilt = cls.__new__(cls)
    LabrunError.__init__(rebuilt, message, details)
    return rebuilt


def _class_for(code: str) -> Optional[type]:
    for value in globals().values():
        if isinstance(value, type) and issubclass(value, LabrunError) and value.__dict__.get("code") == code:
            return value
    return None
