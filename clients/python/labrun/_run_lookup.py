"""Finding runs: the run a launched job writes (``Run.current``), one run to read (``Run.open``), the runs under
a root (``Run.list``)."""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any, List, Optional, Type

from . import _jsonio as jio
from . import _process as proc
from ._paths import ENV_RUN_DIR, ENV_RUN_PREFIX, parse_prefix, runs_root
from ._run_base import RunView
from ._run_folder import iter_run_dirs
from .errors import CorruptRecordError, CorruptRecordWarning, InvalidPrefixError, NoCurrentRunError, RunBusyError, RunNotFoundError
from .run_info import RUN

if TYPE_CHECKING:
    from .run import Run


def _recorded_prefix(run_dir: str) -> Optional[str]:
    stored = jio.read_json(os.path.join(run_dir, "experiment.json"), {})
    prefix = stored.get("prefix") if isinstance(stored, dict) else None
    return prefix if isinstance(prefix, str) and prefix else None


def current_run(cls: "Type[Run]", attach: Optional[bool], options: Any) -> "Run":
    """``Run.current``: a new run of ``$LABRUN_RUN_DIR``, started (attached when another live process owns it
    and ``attach`` is None)."""
    run_dir = os.environ.get(ENV_RUN_DIR)
    if not run_dir:
        raise NoCurrentRunError(ENV_RUN_DIR)
    prefix = os.environ.get(ENV_RUN_PREFIX) or _recorded_prefix(run_dir) or f"{RUN.user}/jobs/run"
    run = cls(prefix, dir=run_dir, attach=bool(attach), **options)
    try:
        run.start()
    except RunBusyError:
        if attach is not None:
            raise
        run = cls(prefix, dir=run_dir, attach=True, **options)
        run.start()
    return run


def open_view(prefix: Optional[str], root: Optional[str], dir: Optional[str]) -> RunView:
    """``Run.open``: ``prefix`` under ``root``, or the folder ``dir``."""
    if dir is not None:
        run_dir = os.path.abspath(os.fspath(dir))
        if prefix is None:
            stored = jio.read_json(os.path.join(run_dir, "experiment.json"), {})
            prefix = stored.get("prefix") if isinstance(stored, dict) else None
            if not isinstance(prefix, str):
                raise RunNotFoundError(str(prefix), run_dir)
        parse_prefix(prefix)
    else:
        if prefix is None:
            raise InvalidPrefixError(prefix, "no prefix given")
        run_dir = os.path.join(runs_root(root), *parse_prefix(prefix))
    if not os.path.isfile(os.path.join(run_dir, "experiment.json")):
        raise RunNotFoundError(prefix, run_dir)
    return RunView(prefix, run_dir)


def list_views(root: Optional[str], prefix: Optional[str], tag: Optional[str], status: Optional[str]) -> List[RunView]:
    """``Run.list``: the runs under ``root`` that match, sorted by prefix; a damaged one left out with a
    warning."""
    base = runs_root(root)
    out: List[RunView] = []
    for run_dir in iter_run_dirs(base):
        rel = os.path.relpath(run_dir, base).replace(os.sep, "/")
        if prefix is not None and not (rel == prefix.strip("/") or rel.startswith(prefix.strip("/") + "/")):
            continue
        try:
            parse_prefix(rel)
        except InvalidPrefixError:
            continue
        view = RunView(rel, run_dir)
        try:
            info = view.info()
        except CorruptRecordError as error:
            # One damaged run must not fail the listing, nor be listed as if it were readable.
            file, problem = error.details["file"], error.details["problem"]
            warnings.warn(CorruptRecordWarning(file, problem), stacklevel=3)
            continue
        except Exception:  # noqa: BLE001 - one unreadable run must not fail a listing
            info = {}
        if tag is not None and tag not in (info.get("tags") or []):
            continue
        if status is not None and proc.derive_status(info)[0] != status.upper():
            continue
        out.append(view)
    return out
