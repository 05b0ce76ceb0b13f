"""NeMo-Run's ``run.Plugin``: changes a task and its executor when the task is added."""

from __future__ import annotations

from typing import Any, Optional, Tuple


class Plugin:
    """Subclass it and override ``setup(task, executor)``: change them in place (NeMo-Run's way:
    ``executor.env["NCCL_DEBUG"] = "INFO"``, ``task.args.append("--debug")``), or return a
    ``(task, executor)`` pair to replace them. It runs in Python when the task is added, on copies of the
    task and the executor, before the plan is written. ``teardown(result)`` runs in the planning process
    after an attached run has ended, with the engine's result (a dict: ``id``, ``ok``, ``state``, ``jobs``).

    >>> class Debug(run.Plugin):
    ...     def setup(self, task, executor):
    ...         executor.env["LOG_LEVEL"] = "debug"
    """

    name: str = ""

    def setup(self, task: Any, executor: Any) -> Optional[Tuple[Any, Any]]:
        return None

    def teardown(self, result: Any) -> None:
        return None


ExperimentPlugin = Plugin
