"""Log records of a run: ``run.log(message, level=..., **extra)``, ``run.logs.info(...)``, ``logs.read(...)``."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Pattern, Set, Union

from . import _jsonio as jio
from ._linear_regex import compile_linear
from ._run_folder import LOG_LEVELS
from .errors import InvalidArgumentError, InvalidLogLevelError, TrackingValueError

if TYPE_CHECKING:
    from .run import _RunBase

_ALIASES = {"warning": "warn", "critical": "fatal", "err": "error"}
SEVERITY = {level: i for i, level in enumerate(LOG_LEVELS)}


def normalize_level(level: Any) -> str:
    if not isinstance(level, str):
        raise InvalidLogLevelError(level)
    lowered = level.lower()
    lowered = _ALIASES.get(lowered, lowered)
    if lowered not in SEVERITY:
        raise InvalidLogLevelError(level)
    return lowered


class ReadResult(list):
    """A list of records, with ``torn`` (an unterminated last line was skipped) and ``skipped`` (complete
    lines that were not JSON) from the file it was read from, ``total`` (records that matched before any
    ``tail`` / downsampling) and ``downsampled``."""

    torn: bool = False
    skipped: int = 0
    total: int = 0
    downsampled: bool = False

    @property
    def points(self) -> List[Any]:
        """The records (the TypeScript result's ``points``)."""
        return list(self)

    @property
    def records(self) -> List[Any]:
        """The records (the TypeScript result's ``records``)."""
        return list(self)


def encode_log(message: Any, level: str, metadata: Optional[Dict[str, Any]]) -> str:
    if not isinstance(message, str):
        message = str(message)
    entry: Dict[str, Any] = {"timestamp": jio.utc_now_iso(), "level": level, "message": message}
    if metadata:
        entry["metadata"] = jio.json_value(metadata, "metadata")
    try:
        return jio.dumps(entry)
    except (TypeError, ValueError) as error:  # pragma: no cover - json_value checked it
        raise TrackingValueError("metadata", metadata, str(error)) from None


class Logs:
    """``run.logs``: one method per level, and ``read`` for the records written so far.

    >>> run.logs.info("epoch done", epoch=3, loss=0.25)
    >>> run.logs.warn("GPU memory low", free_gb=1.5)
    >>> [r["message"] for r in run.logs.read(level="warn", tail=10)]
    """

    def __init__(self, run: "_RunBase") -> None:
        self._run = run

    def log(self, message: Any, level: str = "info", metadata: Optional[Dict[str, Any]] = None, **extra: Any) -> None:
        """Writes a record; ``metadata`` and the extra keyword fields are merged into its ``metadata``."""
        writer = self._run._writable()
        lvl = normalize_level(level)
        merged = {**(metadata or {}), **extra} if (metadata or extra) else None
        writer.add_log(encode_log(message, lvl, merged))

    def debug(self, message: Any, **metadata: Any) -> None:
        self.log(message, "debug", metadata)

    def info(self, message: Any, **metadata: Any) -> None:
        self.log(message, "info", metadata)

    def warn(self, message: Any, **metadata: Any) -> None:
        self.log(message, "warn", metadata)

    warning = warn

    def error(self, message: Any, **metadata: Any) -> None:
        self.log(message, "error", metadata)

    def fatal(self, message: Any, **metadata: Any) -> None:
        self.log(message, "fatal", metadata)

    def read(
        self,
        level: Union[str, Iterable[str], None] = None,
        regex: Union[str, Pattern[str], None] = None,
        tail: Optional[int] = None,
    ) -> ReadResult:
        """Records in file order: ``level`` is a minimum ("warn" → warn, error, fatal; debug < info < warn <
        error < fatal) or a list of the exact levels to keep; ``regex`` must match the message
        (``re.search``'s syntax, run in linear time: backreferences and lookaround raise ``InvalidRegexError``);
        ``tail`` keeps the last N. Each record is the stored object
        ``{sequenceNumber, timestamp, level, message[, metadata]}``."""
        self._run._flush_if_writing()
        wanted: Optional[Set[str]] = None
        min_rank: Optional[int] = None
        if isinstance(level, str):
            min_rank = SEVERITY[normalize_level(level)]
        elif level is not None:
            wanted = {normalize_level(lv) for lv in level}
        pattern = compile_linear(regex)
        if tail is not None and (not isinstance(tail, int) or tail < 0):
            raise InvalidArgumentError(f"tail must be a non-negative integer, not {tail!r}.", {"tail": tail})
        stats: Dict[str, int] = {}
        kept: Union[List[Dict[str, Any]], "collections.deque[Dict[str, Any]]"]
        kept = collections.deque(maxlen=tail) if tail is not None else []
        total = 0
        for record in self._run._store.iter_logs(stats):
            if min_rank is not None:
                rank = SEVERITY.get(str(record.get("level", "")).lower())
                if rank is None or rank < min_rank:
                    continue
            elif wanted is not None and str(record.get("level", "")).lower() not in wanted:
                continue
            if pattern is not None and not pattern.search(str(record.get("message", ""))):
                continue
            total += 1
            kept.append(record)
        result = ReadResult(kept)
        result.torn = bool(stats.get("torn"))
        result.skipped = stats.get("skipped", 0)
        result.total = total
        return result

    def __call__(self, message: Any, level: str = "info", **extra: Any) -> None:
        self.log(message, level, None, **extra)
