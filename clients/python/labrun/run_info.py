"""``RUN``: facts about the running script that sweeps compose run prefixes from (ML-Dash's ``RUN``).

>>> from labrun import RUN, Run
>>> RUN.entry = __file__                       # experiments/vision/resnet/train.py
>>> prefix = f"{RUN.user}/vision/{RUN.path_stem}"  # alice/vision/experiments/vision/resnet/train
"""

from __future__ import annotations

import datetime as _dt
import getpass
import os
import sys
from typing import Optional, Union

PROJECT_MARKERS = ("pyproject.toml", "package.json", ".git")


def find_project_root(start: Union[str, os.PathLike, None] = None) -> str:
    """The nearest folder at or above ``start`` holding pyproject.toml, package.json or .git; else the
    current directory."""
    path = os.path.abspath(str(start) if start is not None else os.getcwd())
    if os.path.isfile(path) or not os.path.exists(path) and os.path.splitext(path)[1]:
        path = os.path.dirname(path)
    current = path
    while True:
        for marker in PROJECT_MARKERS:
            if os.path.exists(os.path.join(current, marker)):
                return current
        parent = os.path.dirname(current)
        if parent == current:
            return os.getcwd()
        current = parent


def _default_entry() -> str:
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    if file and os.path.exists(file):
        return os.path.abspath(file)
    if sys.argv and sys.argv[0] and sys.argv[0] not in ("-c", "-m") and os.path.exists(sys.argv[0]):
        return os.path.abspath(sys.argv[0])
    return os.getcwd()


class RunInfo:
    """Set ``entry`` (a script or a sweep folder); the other attributes follow from it.

    * ``entry``: the entry script or folder (default: the ``__main__`` script, else the cwd).
    * ``project_root``: nearest folder above ``entry`` with pyproject.toml / package.json / .git
      (settable).
    * ``path_stem``: ``entry`` relative to ``project_root`` without its extension, '/'-separated.
    * ``user``: ``$LABRUN_USER``, else ``$ML_DASH_USER`` (ML-Dash's), else ``$USER``, else the login name.
    * ``now``: the time this module was imported (one value for the whole process).
    """

    def __init__(self) -> None:
        self._entry: Optional[str] = None
        self._project_root: Optional[str] = None
        self.now: _dt.datetime = _dt.datetime.now()

    @property
    def entry(self) -> str:
        if self._entry is None:
            return _default_entry()
        return self._entry

    @entry.setter
    def entry(self, value: Union[str, os.PathLike, None]) -> None:
        self._entry = None if value is None else os.path.abspath(str(value))

    @property
    def project_root(self) -> str:
        if self._project_root is not None:
            return self._project_root
        return find_project_root(self.entry)

    @project_root.setter
    def project_root(self, value: Union[str, os.PathLike, None]) -> None:
        self._project_root = None if value is None else os.path.abspath(str(value))

    @property
    def path_stem(self) -> str:
        entry = self.entry
        rel = os.path.relpath(entry, self.project_root)
        if rel == ".":
            return os.path.basename(entry)
        if rel.startswith(".."):
            rel = os.path.basename(entry)
        if not os.path.isdir(entry):
            rel = os.path.splitext(rel)[0]
        return rel.replace(os.sep, "/")

    @property
    def project(self) -> str:
        """The project root's folder name."""
        return os.path.basename(self.project_root.rstrip(os.sep)) or "project"

    @property
    def user(self) -> str:
        for var in ("LABRUN_USER", "ML_DASH_USER", "USER"):
            value = os.environ.get(var)
            if value:
                return value
        try:
            return getpass.getuser()
        except Exception:
            return "unknown"

    def __repr__(self) -> str:
        return (
            f"RUN(entry={self.entry!r}, project_root={self.project_root!r}, path_stem={self.path_stem!r}, "
            f"user={self.user!r}, now={self.now.isoformat()!r})"
        )


RUN = RunInfo()
