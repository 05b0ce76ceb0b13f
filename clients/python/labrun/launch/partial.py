"""NeMo-Run's ``run.Partial``: an importable Python function and the arguments to call it with, run as a
job by ``python -m labrun._job_runner``."""

from __future__ import annotations

import copy
import inspect
import sys
from typing import Any, Callable, Dict, List, Optional

from ..errors import InvalidTaskError
from .._callables import check_json, locate


class Partial:
    """A call of ``fn(*args, **kwargs)`` in a job's own process.

    ``fn`` must be importable: a function defined with ``def`` at the top level of a module or of the
    script that plans the experiment (a lambda or a nested function is an ``InvalidTaskError`` naming it).
    Arguments travel as JSON: a value that is not JSON is an ``InvalidTaskError`` naming the argument.
    The job runs with the interpreter that planned it (``sys.executable``) unless ``configure(python=...)``
    says otherwise; a JSON-serialisable return value is written to ``result.json`` in the job directory.
    Arguments can be changed afterwards, as in NeMo-Run: ``p.lr = 0.01``.

    >>> def train(lr: float, epochs: int = 3) -> float: ...
    >>> run.Partial(train, lr=0.1)
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if not callable(fn):
            raise InvalidTaskError(f"Partial needs a function as its first argument, got {fn!r}.")
        where = f"Partial({getattr(fn, '__qualname__', fn)!s})"
        location = locate(fn, "Partial function")
        object.__setattr__(self, "_fn", fn)
        object.__setattr__(self, "_location", location)
        object.__setattr__(self, "_args", [check_json(a, f"{where} argument {i}") for i, a in enumerate(args)])
        object.__setattr__(self, "_kwargs", {k: check_json(v, f"{where} argument {k!r}") for k, v in kwargs.items()})
        object.__setattr__(self, "_options", {})
        self._check_call()

    def configure(
        self,
        python: Optional[str] = None,
        env: Optional[Dict[str, str]] = None,
        cwd: Optional[str] = None,
        pythonpath: Optional[List[str]] = None,
        name: Optional[str] = None,
    ) -> "Partial":
        """Sets how the job runs (not what it computes): ``python`` (interpreter, default ``sys.executable``),
        ``env``, ``cwd``, ``pythonpath`` (folders prepended to the job's PYTHONPATH), ``name`` (the job
        folder's name). Returns this Partial."""
        for key, value in (("python", python), ("env", env), ("cwd", cwd), ("pythonpath", pythonpath), ("name", name)):
            if value is not None:
                self._options[key] = copy.deepcopy(value)
        return self

    @property
    def fn(self) -> Callable[..., Any]:
        return self._fn

    @property
    def args(self) -> List[Any]:
        return self._args

    @property
    def kwargs(self) -> Dict[str, Any]:
        return self._kwargs

    @property
    def env(self) -> Dict[str, str]:
        """The job's extra environment variables (plugins may add to it)."""
        return self._options.setdefault("env", {})

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        self._kwargs[name] = check_json(value, f"Partial({self._location.qualname}) argument {name!r}")
        self._check_call()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        kwargs = object.__getattribute__(self, "_kwargs")
        if name in kwargs:
            return kwargs[name]
        raise AttributeError(f"Partial({self._location.qualname}) has no argument {name!r}")

    def get_name(self) -> str:
        """The default job name: ``<module or file stem>.<function>``."""
        return self._options.get("name") or f"{self._location.stem}.{self._location.qualname}"

    def clone(self) -> "Partial":
        fresh = object.__new__(Partial)
        object.__setattr__(fresh, "_fn", self._fn)
        object.__setattr__(fresh, "_location", self._location)
        for key in ("_args", "_kwargs", "_options"):
            object.__setattr__(fresh, key, copy.deepcopy(getattr(self, key)))
        return fresh

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"kind": "python-partial", **self._location.spec(), "function": self._location.qualname}
        if self._args:
            spec["args"] = copy.deepcopy(self._args)
        if self._kwargs:
            spec["kwargs"] = copy.deepcopy(self._kwargs)
        options = copy.deepcopy(self._options)
        if options.get("pythonpath"):
            spec["pythonpath"] = list(options.pop("pythonpath")) + spec.get("pythonpath", [])
        options.pop("pythonpath", None)
        if not options.get("env"):
            options.pop("env", None)
        spec.update(options)
        spec.setdefault("python", sys.executable)
        return spec

    def _check_call(self) -> None:
        try:
            inspect.signature(self._fn).bind(*self._args, **self._kwargs)
        except TypeError as error:
            raise InvalidTaskError(
                f"Partial({self._location.qualname}) cannot call it with these arguments: {error}.",
                {"function": self._location.qualname},
            ) from None
        except ValueError:  # no signature (a builtin): the job will tell
            pass

    def __repr__(self) -> str:
        parts = [self._location.qualname] + [repr(a) for a in self._args]
        parts += [f"{k}={v!r}" for k, v in self._kwargs.items()]
        return f"Partial({', '.join(parts)})"
