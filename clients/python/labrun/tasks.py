"""Typed tasks (experimaestro's model): classes whose ``Param`` fields make their identity, so the same
work is found again and a COMPLETED job is reused instead of run again, from Python or TypeScript alike.

>>> from labrun.tasks import Meta, Param, Task, task
>>> @task("my.prepare")
... class Prepare(Task):
...     n: Param[int]
...     def execute(self) -> None: ...
>>> @task("my.train")
... class Train(Task):
...     lr: Param[float]
...     data: Param[Prepare]                 # data flow: waits for the Prepare job, gets its directory
...     epochs: Param[int] = 10
...     verbose: Meta[bool] = False          # passed to the job, not part of the identity
...     def execute(self) -> None:
...         print(self.lr, self.data)        # in the job, self.data is the Prepare job's directory
>>> prep = Prepare(n=3).submit(exp)
>>> Train(lr=0.1, data=prep).submit(exp)     # or data=prep / "data.txt" for a file inside it
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from ._canonical import canonical_json, sha256_hex
from ._task_fields import Config, Field, Meta, Param, TaskOutput, json_view, meta_paths
from .errors import InvalidTaskError
from . import _context as context
from ._callables import locate

__all__ = ["Param", "Meta", "Config", "Task", "TaskOutput", "task", "identity_of"]


def identity_of(task_id: str, params: Dict[str, Any], meta: Optional[List[List[str]]] = None) -> str:
    """The identity of a typed task, as the engine computes it: sha256 of the canonical JSON of
    ``{"task": task_id, "params": params}`` with the ``meta`` key paths left out (``"*"``: every list item)."""
    view = json_view(params)
    for path in meta or []:
        _drop(view, list(path))
    return sha256_hex(canonical_json({"task": task_id, "params": view}))


def _drop(value: Any, path: List[str]) -> None:
    if not path:
        return
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(value, list):
        for item in value:
            _drop(item, rest)
    elif isinstance(value, dict) and head in value:
        if rest:
            _drop(value[head], rest)
        else:
            del value[head]


class Task(Config):
    """Base class of typed tasks: declare ``Param``/``Meta`` fields, decorate with ``@task("id")`` and
    implement ``execute()`` (it runs in the job, with the parameters as attributes)."""

    __task_id__: str = ""
    reusable = True

    @property
    def identity(self) -> str:
        """sha256 of the task id and its non-``Meta`` parameters (defaults applied)."""
        cached = self.__dict__.get("_identity")
        if cached is None:
            cached = identity_of(self.__task_id__, self._params(), meta_paths(type(self)))
            object.__setattr__(self, "_identity", cached)
        return cached

    def execute(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.execute() is not implemented.")

    def submit(
        self,
        experiment: Optional[Any] = None,
        executor: Optional[Any] = None,
        name: Optional[str] = None,
        force: bool = False,
    ) -> "TaskOutput":
        """Adds this task to ``experiment`` (default: the one whose ``with`` block is running) and returns a
        handle to pass as another task's parameter (``prep`` for its job directory, ``prep / "data.txt"`` for
        a file in it); the dependent then waits for this job. Same identity, same job: a COMPLETED one is reused."""
        exp = experiment if experiment is not None else context.current_experiment.get()
        exp = getattr(exp, "experiment", exp)  # an ExperimentHelper, or experimaestro's xp
        if exp is None:
            raise InvalidTaskError(
                f"{type(self).__name__}.submit() needs an experiment: pass it (task.submit(exp)) or call it "
                f"inside `with run.Experiment(...)` / `with experiment(...)`."
            )
        job_id = exp.add(self, executor=executor, name=name, force=force)
        return TaskOutput(self, None, job_id)

    def dependencies(self) -> List["Task"]:
        """The tasks among the parameters (at any depth), in order: added to an experiment before this one."""
        found: List[Task] = []
        _walk(self._params(), found)
        return found

    def get_name(self) -> str:
        return self.__task_id__

    def clone(self) -> "Task":
        """A copy whose parameters a ``Plugin.setup`` may still change (``task.lr = 0.2``, checked against
        the field's type); ``Experiment.add`` freezes it after the plugins, and its identity follows."""
        copy = object.__new__(type(self))
        values = self._params()
        object.__setattr__(copy, "_values", values)
        for key, value in values.items():
            object.__setattr__(copy, key, value)
        object.__setattr__(copy, "_editable", True)
        return copy

    def freeze(self) -> "Task":
        """Refuses further changes of the parameters (they make the identity)."""
        object.__setattr__(self, "_editable", False)
        return self

    def to_spec(self) -> Dict[str, Any]:
        """The plan's ``python-task`` entry."""
        location = locate(type(self), f"Task {type(self).__name__}")
        spec: Dict[str, Any] = {
            "kind": "python-task",
            "taskId": self.__task_id__,
            **location.spec(),
            "qualname": location.qualname,
            "params": json_view(self._params()),
            "identity": self.identity,
        }
        meta = meta_paths(type(self))
        if meta:
            spec["meta"] = meta
        return spec

    def __truediv__(self, path: str) -> "TaskOutput":
        return TaskOutput(self, path, None)


def _walk(value: Any, found: List[Task]) -> None:
    if isinstance(value, TaskOutput):
        value = value.task
    if isinstance(value, Task):
        found.append(value)
        return
    if isinstance(value, Config):
        _walk(value._params(), found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, found)


def task(identifier: Union[str, type, None] = None):
    """Declares a typed task class and its identifier (default ``<module>.<class name>``), which names its
    job folder and enters its identity: keep it stable (``@task("my.train")``)."""

    def decorate(cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, Task)):
            raise InvalidTaskError(f"@task decorates subclasses of labrun.tasks.Task, got {cls!r}.")
        task_id = identifier if isinstance(identifier, str) else f"{cls.__module__}.{cls.__qualname__}"
        if not task_id.strip():
            raise InvalidTaskError("A task needs a non-empty identifier: @task('my.train').")
        cls.__task_id__ = task_id
        cls._fields()  # declarations checked now, not at the first use
        return cls

    if isinstance(identifier, type):
        return decorate(identifier)
    return decorate


Field = Field  # re-exported for type annotations of advanced users
