"""NeMo-Run's ``run.Script``: a shell command or a script file, with arguments and environment."""

from __future__ import annotations

import copy
import os
from typing import Any, Dict, List, Optional

from ..errors import InvalidTaskError


class Script:
    """A shell command (``inline``) or a file (``path``) run as a job.

    - ``inline``: shell commands, run by ``entrypoint`` (default ``bash``).
    - ``path``: a script file; its interpreter comes from the extension (``.py`` → this Python, ``.sh`` →
      bash) unless ``entrypoint`` is given (``"python3 -u"``; ``""`` runs the file as an executable).
      With ``m=True``, ``path`` is a module name run as ``python -m path``.
    - ``args``: arguments after the script; ``env``: extra environment variables; ``cwd``: the job's working
      directory (default: the current one).

    >>> run.Script(inline="echo prepare")
    >>> run.Script(path="train.py", args=["--lr=1e-3"], env={"SEED": "1"})
    >>> run.Script(path="mypkg.train", m=True, args=["--epochs", "3"])
    """

    def __init__(
        self,
        path: Optional[str] = None,
        inline: Optional[str] = None,
        args: Optional[List[str]] = None,
        env: Optional[Dict[str, str]] = None,
        entrypoint: Optional[str] = None,
        m: bool = False,
        cwd: Optional[str] = None,
        name: Optional[str] = None,
    ) -> None:
        if (path is None) == (inline is None):
            raise InvalidTaskError(
                "A Script needs exactly one of `inline` (shell commands) or `path` (a file or, with m=True, a module)."
            )
        if inline is not None and not inline.strip():
            raise InvalidTaskError("Script `inline` is empty; give the shell commands to run.")
        if m and path is None:
            raise InvalidTaskError("Script(m=True) runs `python -m <path>`: give the module name as `path`.")
        if args is not None and (isinstance(args, str) or not all(isinstance(a, str) for a in args)):
            raise InvalidTaskError(f"Script `args` must be a list of strings, got {args!r}.")
        if env is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise InvalidTaskError(f"Script `env` must map names to strings, got {env!r}.")
        self.path = path
        self.inline = inline
        self.args: List[str] = list(args or [])
        self.env: Dict[str, str] = dict(env or {})
        self.entrypoint = entrypoint
        self.m = m
        self.cwd = os.path.abspath(cwd) if cwd else os.getcwd()
        self.name = name

    def get_name(self) -> str:
        """The default job name: the file's name, the module's for ``m=True``, ``script`` for inline commands."""
        if self.name:
            return self.name
        if self.path is None:
            return "script"
        return self.path if self.m else os.path.basename(self.path)

    def clone(self) -> "Script":
        return copy.deepcopy(self)

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"kind": "script"}
        if self.inline is not None:
            spec["inline"] = self.inline
        else:
            spec["path"] = self.path if self.m else os.path.join(self.cwd, self.path or "")
        for key, value in (("args", self.args), ("env", self.env)):
            if value:
                spec[key] = copy.deepcopy(value)
        if self.entrypoint is not None:
            spec["entrypoint"] = self.entrypoint
        if self.m:
            spec["m"] = True
        spec["cwd"] = self.cwd
        if self.name:
            spec["name"] = self.name
        return spec

    def __repr__(self) -> str:
        what = f"inline={self.inline!r}" if self.inline is not None else f"path={self.path!r}"
        return f"Script({what}, args={self.args!r})"
