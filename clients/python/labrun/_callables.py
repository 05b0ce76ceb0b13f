"""Where an importable Python function or class lives, so a job in another process can find it again, and
the check that values handed to a job are JSON."""

from __future__ import annotations

import inspect
import math
import os
import sys
from typing import Any, Dict, List, Optional

from .errors import InvalidTaskError


class Location:
    """``module`` (a dotted name) or ``file`` (for code defined in ``__main__``), the ``qualname`` inside
    it, and ``pythonpath``: the folder that makes ``module`` importable, when it is not already on the
    job's path."""

    def __init__(self, module: Optional[str], file: Optional[str], qualname: str, pythonpath: List[str]) -> None:
        self.module = module
        self.file = file
        self.qualname = qualname
        self.pythonpath = pythonpath

    def spec(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"module": self.module} if self.module else {"file": self.file}
        if self.pythonpath:
            out["pythonpath"] = list(self.pythonpath)
        return out

    @property
    def stem(self) -> str:
        if self.module:
            return self.module
        return os.path.splitext(os.path.basename(self.file or "main"))[0]


def locate(obj: Any, what: str) -> Location:
    """The location of a module-level function or class, or ``InvalidTaskError`` naming it (a lambda, a
    function defined inside another function, a bound method, a builtin...)."""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    if inspect.ismethod(obj) and not inspect.isclass(obj.__self__):
        raise InvalidTaskError(
            f"{what} {name} is a method bound to an object; a job cannot rebuild that object. Use a "
            f"module-level function (or a staticmethod) and pass the object's settings as arguments.",
            {"function": name},
        )
    if "<lambda>" in name:
        raise InvalidTaskError(
            f"{what} got a lambda ({name}); a job in another process cannot import it. Define the function "
            f"with `def` at the top level of a module.",
            {"function": name},
        )
    if "<locals>" in name:
        raise InvalidTaskError(
            f"{what} {name} is defined inside another function; a job in another process cannot import it. "
            f"Move it to the top level of its module.",
            {"function": name},
        )
    module_name = getattr(obj, "__module__", None)
    module = sys.modules.get(module_name or "")
    if module is None:
        raise InvalidTaskError(f"{what} {name} has no importable module.", {"function": name})
    found = module
    for part in name.split("."):
        found = getattr(found, part, None)
    if found is not obj and getattr(found, "__func__", None) is not obj:
        raise InvalidTaskError(
            f"{what} {name} cannot be found again as {module_name}.{name} (it was replaced or decorated "
            f"without functools.wraps). Give the function itself, defined at the top level of a module.",
            {"function": name},
        )
    file = getattr(module, "__file__", None)
    if module_name == "__main__" or module_name == "__labrun_main__":
        if not file:
            raise InvalidTaskError(
                f"{what} {name} is defined in an interactive session; a job cannot import it. Put it in a .py file.",
                {"function": name},
            )
        return Location(None, os.path.abspath(file), name, [])
    return Location(module_name, None, name, _import_root(module_name or "", file))


def _import_root(module_name: str, file: Optional[str]) -> List[str]:
    if not file:
        return []
    root = os.path.dirname(os.path.abspath(file))
    levels = module_name.count(".") + (1 if os.path.basename(file) == "__init__.py" else 0)
    for _ in range(levels):
        root = os.path.dirname(root)
    return [root]


def check_json(value: Any, where: str) -> Any:
    """``value`` as plain JSON (tuples become lists), or ``InvalidTaskError`` naming the path of the first
    value that is not JSON (``argument 'config' of train: config.optimizer is a set``)."""
    return _to_json(value, where, where)


def _to_json(value: Any, path: str, where: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise InvalidTaskError(
                f"{path} is {value}, which JSON cannot hold. Pass a finite number (or a string).",
                {"path": path},
            )
        return value
    if isinstance(value, (list, tuple)):
        return [_to_json(v, f"{path}[{i}]", where) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidTaskError(
                    f"{path} has the key {key!r} ({type(key).__name__}); JSON keys are strings.", {"path": path}
                )
            out[key] = _to_json(item, f"{path}.{key}", where)
        return out
    raise InvalidTaskError(
        f"{path} is a {type(value).__name__} ({_short(value)}), which is not JSON-serialisable: a job gets its "
        f"arguments as JSON. Pass numbers, strings, booleans, None, lists and dicts (e.g. str(path), x.tolist()).",
        {"path": path, "type": type(value).__name__},
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
