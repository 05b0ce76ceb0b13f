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

from .errors import (
    DependencyCycleError,
    DirtyGitError,
    DuplicateJobNameError,
    EngineError,
    EngineNotFoundError,
    ExperimentStateError,
    InvalidExecutorError,
    InvalidTaskError,
    TaskValidationError,
    UnknownDependencyError,
    UnknownExperimentError,
    UnknownJobError,
    ChecksumMismatchError,
    CorruptRecordError,
    InvalidArgumentError,
    InvalidLogLevelError,
    InvalidPrefixError,
    InvalidTrackingNameError,
    LabrunError,
    NoCurrentRunError,
    RunBusyError,
    RunFileNotFoundError,
    RunNotFoundError,
    RunStateError,
    TrackedFileNotFoundError,
    TrackingValueError,
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
    "NoCurrentRunError",
    "RunNotFoundError",
    "RunBusyError",
    "RunStateError",
    "TrackedFileNotFoundError",
    "RunFileNotFoundError",
    "ChecksumMismatchError",
    "CorruptRecordError",
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
