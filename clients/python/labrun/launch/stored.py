"""A task as a launched job's record holds it (``job.json``'s ``task``), planned again by ``reset()``."""

from __future__ import annotations

import copy
from typing import Any, Dict


class StoredTask:
    """The recorded config of a task, sent back to the engine as it was recorded."""

    reusable = False
    identity = None

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = copy.deepcopy(config)

    def get_name(self) -> str:
        return str(self.config.get("name") or self.config.get("kind") or "task")

    def clone(self) -> "StoredTask":
        return StoredTask(self.config)

    def to_spec(self) -> Dict[str, Any]:
        return copy.deepcopy(self.config)


class StoredExecutor:
    """The recorded config of an executor (``job.json``'s ``executor``), sent back as it was recorded."""

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = copy.deepcopy(config)

    def clone(self) -> "StoredExecutor":
        return StoredExecutor(self.config)

    def to_spec(self) -> Dict[str, Any]:
        return copy.deepcopy(self.config)
