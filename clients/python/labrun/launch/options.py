"""The base of executors, tunnels and packagers: a fixed table of options with snake_case names (the
TypeScript options' names, ``gpus_per_node`` → ``gpusPerNode``), checked when set, so a misspelt or
unsupported option is an ``InvalidExecutorError`` naming it instead of being ignored."""

from __future__ import annotations

import copy
import difflib
from typing import Any, Callable, Dict, Tuple

from ..errors import InvalidExecutorError

Check = Callable[[str, Any], Any]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class Options:
    """Options set as keyword arguments or attributes (NeMo-Run style: ``executor.nodes = 2``)."""

    kind: str = ""
    #: snake_case name → check(what, value) returning the value to keep.
    _options: Dict[str, Check] = {}
    #: Other names accepted for an option (NeMo-Run's): alias → option.
    _aliases: Dict[str, str] = {}
    #: Options a caller must give.
    _required: Tuple[str, ...] = ()

    def __init__(self, **options: Any) -> None:
        object.__setattr__(self, "_values", {})
        for name, value in options.items():
            setattr(self, name, value)
        missing = [name for name in self._required if name not in self._values]
        if missing:
            raise InvalidExecutorError(
                f"{type(self).__name__} needs {', '.join(missing)}.", {"kind": self.kind, "missing": missing}
            )

    def __setattr__(self, name: str, value: Any) -> None:
        name = self._aliases.get(name, name)
        check = self._options.get(name)
        if check is None:
            close = difflib.get_close_matches(name, list(self._options), n=1)
            raise InvalidExecutorError(
                f"{type(self).__name__} has no option {name!r}"
                + (f"; did you mean {close[0]!r}?" if close else ".")
                + f" Its options: {', '.join(sorted(self._options))}.",
                {"kind": self.kind, "option": name, "known": sorted(self._options)},
            )
        if value is None:
            self._values.pop(name, None)
        else:
            self._values[name] = check(f"{type(self).__name__} `{name}`", value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        name = self._aliases.get(name, name)
        if name in self._options:
            if name == "env":  # so that plugins can do executor.env["X"] = "1"
                return self._values.setdefault("env", {})
            return self._values.get(name)
        raise AttributeError(f"{type(self).__name__} has no option {name!r}")

    def clone(self) -> "Options":
        """An independent copy (NeMo-Run's ``executor.clone()``)."""
        fresh = copy.copy(self)
        object.__setattr__(fresh, "_values", copy.deepcopy(self._values))
        return fresh

    def to_spec(self) -> Dict[str, Any]:
        """The plan's form: ``{"kind": ..., <camelCase option>: value}``."""
        spec: Dict[str, Any] = {"kind": self.kind}
        for name, value in self._values.items():
            if name == "env" and not value:
                continue
            spec[camel(name)] = value.to_spec() if isinstance(value, Options) else copy.deepcopy(value)
        return spec

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other.to_spec() == self.to_spec()

    __hash__ = None  # type: ignore[assignment]


def _fail(what: str, expected: str, value: Any) -> InvalidExecutorError:
    return InvalidExecutorError(f"{what} must be {expected}, got {value!r}.", {"option": what, "value": repr(value)})


def whole(minimum: int) -> Check:
    def check(what: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _fail(what, f"a whole number ≥ {minimum}", value)
        return value

    return check


def text(what: str, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise _fail(what, "a non-empty string", value)
    return value


def flag(what: str, value: Any) -> Any:
    if not isinstance(value, bool):
        raise _fail(what, "True or False", value)
    return value


def env_map(what: str, value: Any) -> Any:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise _fail(what, "a dict of environment variables", value)
    # Values are strings in the job's environment; numbers are a common, harmless slip.
    return {k: v if isinstance(v, str) else _env_value(what, k, v) for k, v in value.items()}


def _env_value(what: str, key: str, value: Any) -> str:
    if isinstance(value, (bool, int, float)):
        return str(value)
    raise _fail(f"{what}[{key!r}]", "a string", value)


def text_list(what: str, value: Any) -> Any:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _fail(what, "a list of strings", value)
    return list(value)
