"""Process-wide launch state: the experiment whose ``with`` block is running (for ``Task.submit()``
without an experiment), and whether the job runner is importing a script to find a function in it."""

from __future__ import annotations

import contextvars

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a launched job ~10 ms of start-up: only for type checkers
    from typing import Any, Optional

current_experiment: "contextvars.ContextVar[Optional[Any]]" = contextvars.ContextVar(
    "labrun_current_experiment", default=None
)

#: True while ``labrun._job_runner`` imports the file of a job's function: an ``Experiment`` built by that
#: file's top-level code must not plan or launch anything again (the script is being re-read, not run).
importing_for_job = False
