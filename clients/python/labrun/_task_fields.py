"""Fields of typed tasks and configs: ``Param[T]`` and ``Meta[T]`` declarations, construction with type
checks, the JSON view of parameters and the key paths of the ``Meta`` ones."""

from __future__ import annotations

import contextvars
import copy
import dataclasses
import enum
import typing
from typing import Any, Dict, List, Optional

from ._typecheck import CheckError, check, join_path, resolved_hints
from .errors import InvalidTaskError, TaskValidationError

_MISSING = object()
_RESERVED = {"identity", "submit", "execute", "dependencies", "to_spec", "get_name", "clone", "freeze", "reusable", "job_dir"}

#: Set while the job runner builds a task: a task-typed parameter then holds the upstream job's path.
in_job: "contextvars.ContextVar[bool]" = contextvars.ContextVar("labrun_task_in_job", default=False)


class _Kind:
    def __init__(self, meta: bool) -> None:
        self.meta = meta

    def __repr__(self) -> str:
        return "Meta" if self.meta else "Param"


_PARAM, _META = _Kind(False), _Kind(True)


class Param:
    """``lr: Param[float]``: a parameter that is part of the task's identity."""

    def __class_getitem__(cls, tp: Any) -> Any:
        return typing.Annotated[tp, _PARAM]


class Meta:
    """``verbose: Meta[bool] = False``: passed to the task but left out of its identity (logging, output
    paths, number of workers...): changing it does not make the work new."""

    def __class_getitem__(cls, tp: Any) -> Any:
        return typing.Annotated[tp, _META]


class Field:
    def __init__(self, name: str, tp: Any, meta: bool, default: Any) -> None:
        self.name, self.type, self.meta, self.default = name, tp, meta, default

    def default_value(self) -> Any:
        if isinstance(self.default, dataclasses.Field):
            if self.default.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                return self.default.default_factory()  # type: ignore[misc]
            if self.default.default is not dataclasses.MISSING:
                return copy.deepcopy(self.default.default)
            return _MISSING
        return copy.deepcopy(self.default) if self.default is not _MISSING else _MISSING


class TaskOutput:
    """What ``submit()`` returns: a reference to a task's job directory (or, with ``/ "file"``, to a path
    inside it) that another task takes as a parameter."""

    def __init__(self, task: Any, path: Optional[str], job_id: Optional[str]) -> None:
        self.task, self.path, self.job_id = task, path, job_id

    def __truediv__(self, path: str) -> "TaskOutput":
        joined = f"{self.path}/{path}" if self.path else str(path)
        return TaskOutput(self.task, joined, self.job_id)

    @property
    def identity(self) -> str:
        return self.task.identity

    def __repr__(self) -> str:
        return f"TaskOutput({type(self.task).__name__}, path={self.path!r}, job={self.job_id!r})"


class Config:
    """A group of ``Param``/``Meta`` fields usable as one parameter of a task (experimaestro's Config); in
    the identity it is a plain object of its fields."""

    __labrun_fields__: Optional[Dict[str, Field]] = None

    @classmethod
    def _fields(cls) -> Dict[str, Field]:
        cached = cls.__dict__.get("__labrun_fields__")
        if cached is not None:
            return cached
        try:
            hints = resolved_hints(cls)
        except Exception as error:
            raise InvalidTaskError(f"Cannot read the fields of {cls.__qualname__}: {error}.") from None
        fields: Dict[str, Field] = {}
        for name, hint in hints.items():
            kinds = (
                [a for a in typing.get_args(hint) if isinstance(a, _Kind)]
                if typing.get_origin(hint) is typing.Annotated
                else []
            )
            if not kinds:
                continue
            if name in _RESERVED or name.startswith("_"):
                raise InvalidTaskError(f"{cls.__qualname__}.{name}: this name is reserved; rename the field.")
            default = _MISSING
            for klass in cls.__mro__:
                if name in klass.__dict__:
                    default = klass.__dict__[name]
                    break
            fields[name] = Field(name, typing.get_args(hint)[0], kinds[0].meta, default)
        cls.__labrun_fields__ = fields
        return fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields()
        names = list(fields)
        issues: List[str] = []
        if len(args) > len(names):
            raise TaskValidationError(self._label(), [f"takes {len(names)} positional parameters, got {len(args)}"])
        values = dict(zip(names, args))
        for key, value in kwargs.items():
            if key in values:
                issues.append(f"{key}: given twice")
            values[key] = value
        for key in values:
            if key not in fields:
                issues.append(f"{key}: unknown parameter (known: {', '.join(names) or 'none'})")
        params: Dict[str, Any] = {}
        for name, field in fields.items():
            value = values.get(name, _MISSING)
            if value is _MISSING:
                value = field.default_value()
                if value is _MISSING:
                    issues.append(f"{name}: required")
                    continue
            try:
                params[name] = check(value, field.type, name, _extra)
            except CheckError as error:
                issues.append(str(error))
        if issues:
            raise TaskValidationError(self._label(), issues)
        object.__setattr__(self, "_values", params)
        for name, value in params.items():
            object.__setattr__(self, name, value)

    @classmethod
    def _from_mapping(cls, data: Dict[str, Any], path: str) -> "Config":
        try:
            return cls(**data)
        except TaskValidationError as error:
            nested = CheckError(path, "invalid")
            nested.args = ("; ".join(f"{path}.{issue}" for issue in error.details["issues"]),)
            raise nested from None

    def _label(self) -> str:
        return getattr(type(self), "__task_id__", "") or type(self).__qualname__

    def _params(self) -> Dict[str, Any]:
        return dict(self.__dict__.get("_values", {}))

    def __setattr__(self, name: str, value: Any) -> None:
        fields = self._fields()
        if not self.__dict__.get("_editable") or name not in fields:
            raise AttributeError(
                f"{type(self).__name__} parameters are fixed once built (a Plugin.setup may change them on the copy "
                f"it gets); make a new instance."
            )
        try:
            checked = check(value, fields[name].type, name, _extra)
        except CheckError as error:
            raise TaskValidationError(self._label(), [str(error)]) from None
        self.__dict__["_values"][name] = checked
        object.__setattr__(self, name, checked)
        self.__dict__.pop("_identity", None)  # the identity follows the new value

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and json_view(other._params()) == json_view(self._params())

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, repr(json_view(self._params()))))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({inner})"


def _is_task_type(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Config) and hasattr(tp, "__task_id__")


def _extra(value: Any, tp: Any, path: str) -> Any:
    if not _is_task_type(tp):
        return NotImplemented
    if in_job.get() and isinstance(value, str):
        return value
    target = value.task if isinstance(value, TaskOutput) else value
    if isinstance(target, tp):
        return value
    raise CheckError(path, f"expected a {tp.__name__} task (or what its submit() returned), got {type(value).__name__}")


def json_view(value: Any) -> Any:
    """Parameters as the plan carries them: tasks as ``{"$task", "$identity"[, "$path"]}``, configs as
    objects of their fields, tuples as lists, enums as their values."""
    if isinstance(value, TaskOutput):
        ref = {"$task": value.task.__task_id__, "$identity": value.task.identity}
        if value.path:
            ref["$path"] = value.path
        return ref
    if isinstance(value, Config):
        if hasattr(value, "__task_id__") and value.__task_id__:
            return {"$task": value.__task_id__, "$identity": value.identity}  # type: ignore[attr-defined]
        return json_view(value._params())
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [json_view(v) for v in value]
    if isinstance(value, dict):
        return {k: json_view(v) for k, v in value.items()}
    return value


def meta_paths(cls: type) -> List[List[str]]:
    """Key paths of the ``Meta`` fields of ``cls`` and of the configs among its fields (``"*"``: list items)."""
    out: List[List[str]] = []
    for name, field in cls._fields().items():  # type: ignore[attr-defined]
        if field.meta:
            out.append([name])
            continue
        out.extend([name, *sub] for sub in _nested_meta(field.type, 0))
    return out


def _nested_meta(tp: Any, depth: int) -> List[List[str]]:
    if depth > 10:
        return []
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _nested_meta(args[0], depth + 1)
    if origin is typing.Union:
        return [p for a in args for p in _nested_meta(a, depth + 1)]
    if origin in (list, tuple) and args:
        return [["*", *p] for p in _nested_meta(args[0], depth + 1)]
    if isinstance(tp, type) and issubclass(tp, Config) and not _is_task_type(tp):
        return meta_paths(tp)
    return []
