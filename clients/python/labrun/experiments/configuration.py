"""experimaestro's ``ConfigurationBase`` and ``@configuration``: the dataclass that the merged YAML files
of ``labrun run-experiment`` are checked against (a wrong type or an unknown key is an error with the key
path, before any job is planned)."""

from __future__ import annotations

import dataclasses
import difflib
import typing
from typing import Any, Dict, List, Optional, Type, TypeVar

from .._typecheck import CheckError, check, join_path
from ..errors import ConfigValueError, UnknownConfigKeyError

T = TypeVar("T")
_REQUIRED: Any = dataclasses.MISSING


class _Required:
    """The default of a field without one (so fields may follow defaulted fields of the base class)."""

    def __repr__(self) -> str:
        return "<required>"


REQUIRED = _Required()


def configuration(cls: Type[T]) -> Type[T]:
    """Makes ``cls`` a configuration dataclass (experimaestro's ``@configuration``). Fields without a
    default are required in the YAML; ``field(default_factory=...)`` works as in dataclasses.

    >>> @configuration
    ... class Configuration(ConfigurationBase):
    ...     learning_rates: list[float] = field(default_factory=lambda: [1e-3])
    """
    own = cls.__dict__.get("__annotations__", {})
    for name in own:
        if name not in cls.__dict__:
            setattr(cls, name, REQUIRED)
    made = dataclasses.dataclass(cls)
    made.__labrun_configuration__ = True  # type: ignore[attr-defined]
    return made


@configuration
class ConfigurationBase:
    """The keys every experiment YAML file understands (experimaestro's): ``id`` (required), ``file``,
    ``module``, ``pythonpath``, ``parent``, ``pre_experiment``, ``title``, ``subtitle``, ``description``,
    ``paper``, ``add_timestamp``, ``dirty_git``."""

    id: str = REQUIRED
    file: Optional[str] = "experiment"
    module: Optional[str] = None
    pythonpath: Optional[List[str]] = None
    parent: Optional[str] = None
    pre_experiment: Optional[str] = None
    title: str = ""
    subtitle: str = ""
    description: str = ""
    paper: str = ""
    add_timestamp: bool = False
    dirty_git: str = "warn"


def build(cls: Type[T], data: Any, path: str = "") -> T:
    """An instance of the configuration dataclass ``cls`` from the merged YAML ``data``.
    ``UnknownConfigKeyError`` / ``ConfigValueError`` name the key path (``learning_rates[1]``)."""
    if not isinstance(data, dict):
        raise ConfigValueError(
            f"{path or '(configuration)'}: expected a mapping, got {type(data).__name__}", {"key": path}
        )
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            raise UnknownConfigKeyError(join_path(path, key), sorted(fields), close[0] if close else None)
    hints = typing.get_type_hints(cls)
    values: Dict[str, Any] = {}
    for name, field in fields.items():
        where = join_path(path, name)
        if name not in data:
            if field.default is REQUIRED or (field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING):  # type: ignore[misc]
                raise ConfigValueError(
                    f"{where}: required (set it in the YAML file or with -c {where}=...)", {"key": where}
                )
            continue
        try:
            values[name] = check(data[name], hints.get(name, Any), where, _nested)
        except CheckError as error:
            raise ConfigValueError(str(error), {"key": error.path, "problem": error.problem}) from None
    return cls(**values)


def _nested(value: Any, tp: Any, path: str) -> Any:
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if isinstance(value, tp):
            return value
        if isinstance(value, dict):
            return build(tp, value, path)
        raise CheckError(path, f"expected a mapping for {tp.__name__}, got {type(value).__name__}")
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return NotImplemented
