"""labrun's Python client, standard library only.

Tracking: parameters, metrics, logs, tracks and files of a run, in ML-Dash's local layout
(docs/tracking-format.md).

>>> from labrun import Run, RUN, tracked
>>> with Run(prefix="alice/vision/resnet").run as run:
...     run.params.set(lr=1e-3, model={"depth": 50})
...     run.metrics("train").log(loss=0.5, epoch=1)
...     run.files("models").save("model.pt")

Launching: NeMo-Run's names, planned here and run by labrun's engine (docs/python-launch.md).

>>> import labrun as run
>>> with run.Experiment("sweep") as exp:
...     exp.add([run.Partial(train, lr=0.1), run.Partial(train, lr=0.01)], name="train")
...     exp.run(tail_logs=True)

Typed tasks: ``labrun.tasks``; experimaestro's YAML experiments: ``labrun.experiments``.
"""

from __future__ import annotations

import importlib

# Not `from typing import TYPE_CHECKING`: importing typing costs every launched job ~10 ms of start-up.
TYPE_CHECKING = False

# Everything is imported on first use: a launched Python job (python -m labrun._job_runner) starts without
# loading the tracking client's HTTP stack, the launcher or the error classes, and a script pays only for what it uses.
_LAZY = {
    **{
        name: ".errors"
        for name in (
            "ChecksumMismatchError",
            "CorruptRecordError",
            "DependencyCycleError",
            "DirtyGitError",
            "DuplicateJobNameError",
            "EngineError",
            "EngineNotFoundError",
            "ExperimentStateError",
            "CorruptRecordWarning",
            "InvalidArgumentError",
            "InvalidExecutorError",
            "InvalidLogLevelError",
            "InvalidPrefixError",
            "InvalidRegexError",
            "InvalidTaskError",
            "InvalidTrackingNameError",
            "LabrunError",
            "NoCurrentRunError",
            "RunBusyError",
            "RunWriteError",
            "RunFileNotFoundError",
            "RunNotFoundError",
            "RunStateError",
            "TaskValidationError",
            "TrackedFileNotFoundError",
            "TrackingValueError",
            "UnknownDependencyError",
            "UnknownExperimentError",
            "UnknownJobError",
        )
    },
    "Run": ".run",
    "RunView": ".run",
    "RunLifecycle": ".run",
    "tracked": ".run",
    "RUN": ".run_info",
    "find_project_root": ".run_info",
    "StoredFile": ".files",
    "ReadResult": ".logs",
    "ServerRequestError": "._remote_errors",
    "ServerUnreachableError": "._remote_errors",
    **{
        name: ".launch"
        for name in (
            "DirectExecutor",
            "Executor",
            "Experiment",
            "ExperimentPlugin",
            "GitArchivePackager",
            "LocalExecutor",
            "LocalTunnel",
            "Partial",
            "PatternPackager",
            "Plugin",
            "Script",
            "SlurmExecutor",
            "SSHTunnel",
        )
    },
}


# `run` is the tracking module and, called, NeMo-Run's `run.run(task, ...)` (labrun/run.py, _RunModule).
_SUBMODULES = {"errors", "tasks", "experiments", "launch", "services", "run"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'labrun' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from typing import Any

    from .errors import (
        ChecksumMismatchError,
        CorruptRecordError,
        DependencyCycleError,
        DirtyGitError,
        DuplicateJobNameError,
        EngineError,
        EngineNotFoundError,
        ExperimentStateError,
        CorruptRecordWarning,
        InvalidArgumentError,
        InvalidExecutorError,
        InvalidLogLevelError,
        InvalidPrefixError,
        InvalidRegexError,
        InvalidTaskError,
        InvalidTrackingNameError,
        LabrunError,
        NoCurrentRunError,
        RunBusyError,
        RunWriteError,
        RunFileNotFoundError,
        RunNotFoundError,
        RunStateError,
        TaskValidationError,
        TrackedFileNotFoundError,
        TrackingValueError,
        UnknownDependencyError,
        UnknownExperimentError,
        UnknownJobError,
    )
    from ._remote_errors import ServerRequestError, ServerUnreachableError
    from .files import StoredFile
    from .launch import (
        DirectExecutor,
        Executor,
        Experiment,
        ExperimentPlugin,
        GitArchivePackager,
        LocalExecutor,
        LocalTunnel,
        Partial,
        PatternPackager,
        Plugin,
        Script,
        SlurmExecutor,
        SSHTunnel,
    )
    from .logs import ReadResult
    from .run import Run, RunLifecycle, RunView, tracked
    from .run_info import RUN, find_project_root

__version__ = "0.1.0"

__all__ = [
    "Run",
    "RunView",
    "RunLifecycle",
    "RUN",
    "tracked",
    "find_project_root",
    "StoredFile",
    "ReadResult",
    "LabrunError",
    "InvalidPrefixError",
    "InvalidTrackingNameError",
    "TrackingValueError",
    "InvalidLogLevelError",
    "InvalidArgumentError",
    "InvalidRegexError",
    "NoCurrentRunError",
    "RunNotFoundError",
    "RunBusyError",
    "RunWriteError",
    "RunStateError",
    "TrackedFileNotFoundError",
    "RunFileNotFoundError",
    "ChecksumMismatchError",
    "CorruptRecordError",
    "CorruptRecordWarning",
    "ServerUnreachableError",
    "ServerRequestError",
    "__version__",
    "Experiment",
    "Script",
    "Partial",
    "Executor",
    "LocalExecutor",
    "DirectExecutor",
    "SlurmExecutor",
    "LocalTunnel",
    "SSHTunnel",
    "GitArchivePackager",
    "PatternPackager",
    "Plugin",
    "ExperimentPlugin",
    "InvalidTaskError",
    "InvalidExecutorError",
    "TaskValidationError",
    "UnknownDependencyError",
    "DependencyCycleError",
    "DuplicateJobNameError",
    "ExperimentStateError",
    "UnknownExperimentError",
    "UnknownJobError",
    "DirtyGitError",
    "EngineNotFoundError",
    "EngineError",
]
