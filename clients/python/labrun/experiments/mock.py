"""experimaestro's ``mock_modules``: heavy modules (torch, transformers...) replaced by fakes while an
experiment is planned, so ``experiment.py`` imports in milliseconds; the jobs import the real ones."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any, Callable, Iterable, List, Optional, Sequence


class _FakeMeta(type):
    """Classes that accept any attribute, call and subscript, and can be inherited from."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return fake_class(f"{cls.__qualname__}.{name}", cls.__labrun_path__ + "." + name)

    def __getitem__(cls, item: Any) -> Any:
        return cls

    def __or__(cls, other: Any) -> Any:
        return cls

    __ror__ = __or__

    def __iter__(cls) -> Any:
        return iter(())


class _FakeBase(metaclass=_FakeMeta):
    __labrun_path__ = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return fake_class(name, f"{type(self).__labrun_path__}().{name}")()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return type(self)()

    def __getitem__(self, item: Any) -> Any:
        return self

    def __iter__(self) -> Any:
        return iter(())

    def __bool__(self) -> bool:
        return True


def fake_class(name: str, path: str) -> type:
    decorator = _decorators.get(path)
    if decorator is not None:
        return decorator  # type: ignore[return-value]
    return _FakeMeta(
        name.rsplit(".", 1)[-1], (_FakeBase,), {"__labrun_path__": path, "__module__": path.rsplit(".", 1)[0]}
    )


class _Passthrough:
    """What ``@torch.no_grad()`` gives: a decorator that changes nothing, and a context manager too."""

    def __call__(self, fn: Any) -> Any:
        return fn

    def __enter__(self) -> "_Passthrough":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


def _noop_decorator(fn: Optional[Callable] = None, *args: Any, **kwargs: Any) -> Any:
    if callable(fn) and not isinstance(fn, type(_Passthrough)) and not args and not kwargs:
        return fn
    return _Passthrough()


_decorators: dict = {}


class _FakeModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = fake_class(name, f"{self.__name__}.{name}")
        setattr(self, name, value)
        return value


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, prefixes: Sequence[str]) -> None:
        self.prefixes = list(prefixes)

    def covers(self, name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in self.prefixes)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if self.covers(name):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        module = _FakeModule(spec.name)
        module.__path__ = []  # a package: submodules import too
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


_finder: Optional[_Finder] = None


def mock_modules(modules: Iterable[str], decorators: Sequence[str] = ()) -> None:
    """Makes every import of ``modules`` (and their submodules) give fake modules whose attributes accept
    any access, call, subscript and subclassing; the dotted ``decorators`` (``"torch.compile"``) become
    no-op decorators that return the function unchanged. Call it in ``pre_experiment``, or name the modules
    in the YAML's ``mock_modules``. Modules already imported are replaced too."""
    global _finder
    names: List[str] = [m for m in modules if m]
    for path in decorators:
        _decorators[path] = _noop_decorator
    if _finder is None:
        _finder = _Finder(names)
        sys.meta_path.insert(0, _finder)
    else:
        _finder.prefixes.extend(names)
    for name in list(sys.modules):
        if _finder.covers(name):
            del sys.modules[name]
