"""Where runs live, and the checks that keep every write inside a run's folder."""

from __future__ import annotations

import os
import re
from typing import List, Optional, Tuple

from .errors import InvalidPrefixError, InvalidTrackingNameError

ENV_RUNS = "LABRUN_RUNS"
ENV_HOME = "LABRUN_HOME"
ENV_RUN_DIR = "LABRUN_RUN_DIR"
ENV_RUN_PREFIX = "LABRUN_RUN_PREFIX"

_FORBIDDEN_CHARS = ("\x00", "\\")
_CONTROL = re.compile("[\x01-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def runs_root(root: Optional[str] = None) -> str:
    """The folder that holds runs: ``root``, else ``$LABRUN_RUNS``, ``$LABRUN_HOME/runs``, ``~/.labrun/runs``."""
    if root:
        return os.path.abspath(os.path.expanduser(str(root)))
    env = os.environ.get(ENV_RUNS)
    if env:
        return os.path.abspath(os.path.expanduser(env))
    home = os.environ.get(ENV_HOME)
    if home:
        return os.path.join(os.path.abspath(os.path.expanduser(home)), "runs")
    return os.path.join(os.path.expanduser("~"), ".labrun", "runs")


def text_problem(text: str) -> Optional[str]:
    """Why a name cannot be stored as it is: control characters, lone surrogates, U+FFFD (the same checks as
    the TypeScript side, so that a name refused by the server is refused here first)."""
    if _CONTROL.search(text):
        return "it contains a control character (newline, tab, ...)"
    if _SURROGATE.search(text):
        return "it is not valid Unicode (a lone UTF-16 surrogate)"
    if "\ufffd" in text:
        return "it contains U+FFFD, the mark of bytes that were not valid UTF-8: send the name as UTF-8"
    return None


def parse_prefix(prefix: object) -> List[str]:
    """Checks a run prefix ``owner/project/path.../name`` and returns its segments.

    Refused (INVALID_PREFIX): a non-string, empty, absolute (leading '/'), fewer than two segments, an
    empty segment ('a//b', trailing '/'), a '.' or '..' segment, a backslash or a NUL character, a control
    character (newline, tab), a lone surrogate or U+FFFD (bytes that were not UTF-8).
    """
    if not isinstance(prefix, str):
        raise InvalidPrefixError(prefix, "it must be a string")
    if prefix == "":
        raise InvalidPrefixError(prefix, "it is empty")
    if prefix.startswith("/"):
        raise InvalidPrefixError(prefix, "it is absolute (starts with '/')")
    for ch in _FORBIDDEN_CHARS:
        if ch in prefix:
            raise InvalidPrefixError(prefix, f"it contains {ch!r}")
    problem = text_problem(prefix)
    if problem:
        raise InvalidPrefixError(prefix, problem)
    segments = prefix.split("/")
    for segment in segments:
        if segment == "":
            raise InvalidPrefixError(prefix, "it has an empty segment")
        if segment in (".", ".."):
            raise InvalidPrefixError(prefix, f"it has a '{segment}' segment")
    if len(segments) < 2:
        raise InvalidPrefixError(prefix, "it needs at least an owner and a project ('owner/project[/...]/name')")
    return segments


def run_dir_for(prefix: str, root: Optional[str] = None) -> str:
    segments = parse_prefix(prefix)
    return os.path.join(runs_root(root), *segments)


def resolve_run(prefix: Optional[str], root: Optional[str], dir: Optional[str]) -> Tuple[str, str, bool]:
    """A writable run's prefix (default ``$LABRUN_RUN_PREFIX``) and folder: ``dir``, else the launched job's
    ``$LABRUN_RUN_DIR`` (its prefix, no ``root``), else ``<root>/<prefix>``; and whether it is bound to a
    folder (``dir`` or the job's), which keeps it writing the folder in remote mode."""
    env_prefix = os.environ.get(ENV_RUN_PREFIX)
    env_dir = os.environ.get(ENV_RUN_DIR)
    if prefix is None:
        if not env_prefix:
            raise InvalidPrefixError(
                prefix, "no prefix given and $LABRUN_RUN_PREFIX is not set (pass prefix='owner/project/name')"
            )
        prefix = env_prefix
    parse_prefix(prefix)
    job_dir = env_dir is not None and prefix == env_prefix and root is None
    if dir is not None:
        run_dir = os.path.abspath(os.fspath(dir))
    elif env_dir and job_dir:
        run_dir = os.path.abspath(env_dir)
    else:
        run_dir = os.path.join(runs_root(root), *prefix.split("/"))
    return prefix, run_dir, dir is not None or job_dir


UNNAMED_STREAM = "None"


def _check_segment(kind: str, name: str, original: object) -> None:
    if name == "":
        raise InvalidTrackingNameError(kind, original, "it is empty")
    for ch in _FORBIDDEN_CHARS + ("/",):
        if ch in name:
            raise InvalidTrackingNameError(kind, original, f"it contains {ch!r}")
    if name in (".", ".."):
        raise InvalidTrackingNameError(kind, original, f"it is '{name}'")
    problem = text_problem(name)
    if problem:
        raise InvalidTrackingNameError(kind, original, problem)


def check_stream_name(name: object) -> str:
    """A metric stream name: one path segment, not '.', '..' or 'None' (the unnamed stream's folder)."""
    if not isinstance(name, str):
        raise InvalidTrackingNameError("metric name", name, "it must be a string")
    _check_segment("metric name", name, name)
    if name == UNNAMED_STREAM:
        raise InvalidTrackingNameError("metric name", name, "'None' is the folder of the unnamed stream")
    return name


def track_folder(topic: object) -> str:
    """A track topic ('robot/position') and its folder name ('robot_position')."""
    if not isinstance(topic, str):
        raise InvalidTrackingNameError("track topic", topic, "it must be a string")
    folder = topic.replace("/", "_")
    _check_segment("track topic", folder, topic)
    return folder


def normalize_file_path(folder: object) -> str:
    """A files folder ('models', 'ckpt/best', '' or None for the top) as stored in ``.files_metadata.json``:
    '/'-led ('/models', '/ckpt/best', '/'). Leading and trailing '/' are dropped, as ML-Dash's own API
    writes ``files("/models")``; the segments follow the prefix rules, so the folder never leaves
    ``files/``."""
    if folder is None:
        return "/"
    if not isinstance(folder, str):
        raise InvalidTrackingNameError("file folder", folder, "it must be a string")
    body = folder.strip("/")
    if body == "":
        return "/"
    for ch in _FORBIDDEN_CHARS:
        if ch in body:
            raise InvalidTrackingNameError("file folder", folder, f"it contains {ch!r}")
    for part in body.split("/"):
        if part == "":
            raise InvalidTrackingNameError("file folder", folder, "it has an empty segment")
        if part in (".", ".."):
            raise InvalidTrackingNameError("file folder", folder, f"it has a '{part}' segment")
    problem = text_problem(body)
    if problem:
        raise InvalidTrackingNameError("file folder", folder, problem)
    return "/" + body


def check_file_name(name: object) -> str:
    """A stored file name: one segment (no '/', '\\', NUL), not '.' or '..'."""
    if not isinstance(name, str):
        raise InvalidTrackingNameError("file name", name, "it must be a string")
    _check_segment("file name", name, name)
    return name


def inside(base: str, target: str) -> bool:
    """True when ``target`` resolves inside ``base`` (symlinks followed)."""
    base_real = os.path.realpath(base)
    target_real = os.path.realpath(target)
    return target_real == base_real or target_real.startswith(base_real + os.sep)
