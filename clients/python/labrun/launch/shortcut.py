"""NeMo-Run's ``run.run(task, executor=..., ...)``: one task, launched as an experiment of its own.

``labrun.run`` is also the tracking module (``from labrun.run import Run``), so that module is made callable
(``labrun/run.py``, at its end) and calling it lands here: ``import labrun as run; run.run(run.Partial(fn, x=1))``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

from .executors import Executor
from .plugin import Plugin


def run_task(
    task: Any,
    executor: Optional[Executor] = None,
    plugins: Optional[Sequence[Plugin]] = None,
    name: str = "",
    dryrun: bool = False,
    direct: bool = False,
    detach: bool = False,
    tail_logs: bool = True,
    log_level: str = "INFO",
) -> Union[Optional[Dict[str, Any]], List[Dict[str, Any]]]:
    """Runs one task (``Script``, ``Partial`` or a typed ``Task``) as an experiment titled ``name`` (default
    the task's name) and waits for it, as NeMo-Run's ``run.run`` does. Without an ``executor`` (or with
    ``direct=True``) the engine runs it directly, in the foreground; with one, on that executor (``detach=True``
    returns once a supervisor has taken over). ``dryrun=True`` lists what would run and runs nothing.

    Returns the engine's result (``{"id", "state", "ok", "jobs": [...]}``), or with ``dryrun`` the listed jobs.
    Bad input raises the same typed errors as ``Experiment.add`` and ``run``, before anything is launched."""
    from .experiment import Experiment, _check_task

    _check_task(task)
    title = name or task.get_name()
    with Experiment(title, executor=executor, log_level=log_level) as exp:
        exp.add(task, name=name or None, plugins=plugins, tail_logs=tail_logs)
        if dryrun:
            return exp.dryrun()
        exp.run(detach=detach, direct=direct or (executor is None and not detach), tail_logs=tail_logs)
    return exp.result
