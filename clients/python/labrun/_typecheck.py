"""Checks a JSON-like value against a Python type annotation, naming the path of the first value that does
not fit (``learning_rates[1]: expected float, got str``). Used by typed tasks (``Param[...]``) and by the
``@configuration`` classes of YAML experiments.

Supported: ``int``, ``float`` (an int is accepted and kept), ``str``, ``bool``, ``None``, ``Any``,
``Optional``/``Union``, ``Literal``, ``list[T]``/``List[T]``/``Sequence[T]``, ``tuple[...]``,
``dict[str, T]``/``Dict``/``Mapping``, ``Enum`` subclasses (by value), and classes that accept a mapping
through ``_from_mapping`` (typed-task configs, ``@configuration`` dataclasses).
"""

from __future__ import annotations

import collections.abc
import enum
import typing
from typing import Any, Callable, List, Optional

try:  # Python >= 3.10: `int | None`
    from types import UnionType as _UnionType  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.9
    _UnionType = None


class CheckError(Exception):
    """A value that does not fit its annotation; ``path`` names where (``a.b[2]``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '(value)'}: {problem}")
        self.path = path
        self.problem = problem


def type_name(tp: Any) -> str:
    if tp is type(None):
        return "None"
    if isinstance(tp, type):
        return tp.__name__
    text = str(tp).replace("typing.", "")
    return text


def value_type(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def join_path(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def check(value: Any, tp: Any, path: str = "", extra: Optional[Callable[[Any, Any, str], Any]] = None) -> Any:
    """The value converted to what ``tp`` declares (a mapping becomes a config instance), or CheckError.
    ``extra(value, tp, path)`` may handle a type first (returning ``NotImplemented`` to decline)."""
    tp = _strip_annotated(tp)
    if extra is not None:
        handled = extra(value, tp, path)
        if handled is not NotImplemented:
            return handled
    if tp is Any or tp is object:
        return value
    if tp is None or tp is type(None):
        if value is None:
            return None
        raise CheckError(path, f"expected None, got {value_type(value)}")
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or (_UnionType is not None and isinstance(tp, _UnionType)):
        return _check_union(value, args, path, extra)
    if origin is typing.Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return value
        raise CheckError(path, f"expected one of {', '.join(repr(a) for a in args)}, got {value!r}")
    if origin in (list, collections.abc.Sequence, collections.abc.MutableSequence, set, frozenset):
        if not isinstance(value, (list, tuple)):
            raise CheckError(path, f"expected a list, got {value_type(value)}")
        item = args[0] if args else Any
        return [check(v, item, join_path(path, i), extra) for i, v in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise CheckError(path, f"expected a list, got {value_type(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(check(v, args[0], join_path(path, i), extra) for i, v in enumerate(value))
        if args and len(args) != len(value):
            raise CheckError(path, f"expected {len(args)} items, got {len(value)}")
        return tuple(
            check(v, a, join_path(path, i), extra) for i, (v, a) in enumerate(zip(value, args or [Any] * len(value)))
        )
    if origin in (dict, collections.abc.Mapping, collections.abc.MutableMapping):
        if not isinstance(value, dict):
            raise CheckError(path, f"expected a mapping, got {value_type(value)}")
        key_tp, item_tp = (args + (Any, Any))[:2] if args else (Any, Any)
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise CheckError(join_path(path, k), f"keys must be strings, got {value_type(k)}")
            out[k] = check(v, item_tp, join_path(path, k), extra)
        return out
    if tp in (list, tuple, dict):
        return check(
            value, {list: List[Any], tuple: typing.Tuple[Any, ...], dict: typing.Dict[str, Any]}[tp], path, extra
        )
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise CheckError(path, f"expected bool, got {value_type(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise CheckError(path, f"expected int, got {value_type(value)}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise CheckError(path, f"expected float, got {value_type(value)}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise CheckError(path, f"expected str, got {value_type(value)}")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if isinstance(value, tp):
            return value
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in tp)
            raise CheckError(path, f"expected one of {allowed}, got {value!r}") from None
    if isinstance(tp, type) and hasattr(tp, "_from_mapping"):
        if isinstance(value, tp):
            return value
        if isinstance(value, dict):
            return tp._from_mapping(value, path)
        raise CheckError(path, f"expected {tp.__name__} (a mapping of its fields), got {value_type(value)}")
    if isinstance(tp, type):
        if isinstance(value, tp):
            return value
        raise CheckError(path, f"expected {tp.__name__}, got {value_type(value)}")
    raise CheckError(path, f"cannot check a value against {type_name(tp)}")


def _check_union(value: Any, args: tuple, path: str, extra: Any) -> Any:
    if value is None and type(None) in args:
        return None
    errors: List[CheckError] = []
    # A deeper error (inside a list or mapping that matched) says more than "expected A or B".
    for option in args:
        if option is type(None):
            continue
        try:
            return check(value, option, path, extra)
        except CheckError as error:
            errors.append(error)
    deeper = [e for e in errors if e.path != path]
    if deeper:
        raise deeper[0]
    names = " or ".join(type_name(a) for a in args)
    raise CheckError(path, f"expected {names}, got {value_type(value)}")


def _strip_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def resolved_hints(cls: type) -> dict:
    """The class's annotations with strings resolved (``from __future__ import annotations``), extras kept."""
    return typing.get_type_hints(cls, include_extras=True)
