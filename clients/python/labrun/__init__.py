"""labrun tracking client: parameters, metrics, logs, tracks and files of a run, in ML-Dash's local layout
(docs/tracking-format.md), with the standard library only.

>>> from labrun import Run, RUN, tracked
>>> with Run(prefix="alice/vision/resnet").run as run:
...     run.params.set(lr=1e-3, model={"depth": 50})
...     run.metrics("train").log(loss=0.5, epoch=1)
...     run.files("models").save("model.pt")
"""

from .errors import (
    ChecksumMismatchError,
    CorruptRecordError,
    CorruptRecordWarning,
    InvalidArgumentError,
    InvalidLogLevelError,
    InvalidPrefixError,
    InvalidTrackingNameError,
    LabrunError,
    NoCurrentRunError,
    RunBusyError,
    RunWriteError,
    RunFileNotFoundError,
    RunNotFoundError,
    RunStateError,
    TrackedFileNotFoundError,
    TrackingValueError,
)
from ._remote_errors import ServerRequestError, ServerUnreachableError
from .files import StoredFile
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
]
