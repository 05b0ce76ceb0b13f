"""JSON values, atomic JSON files and append-only JSONL.

The on-disk format is ML-Dash's local storage (see docs/tracking-format.md). Two rules keep every
file readable after a crash at any moment:

* JSON documents (experiment.json, parameters.json, metadata.json, .files_metadata.json) are replaced
  atomically: write a temporary sibling, then ``os.replace`` it over the target.
* JSONL streams are only appended to, one whole line per record, in one ``write`` per batch. A reader
  skips (and reports) a last line without its newline; a writer that finds such a torn tail when it
  opens a stream cuts it off before appending, so a torn line never ends up in the middle of a file.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import itertools
import json
import json.encoder
import os
from typing import Any, Dict, Optional

from .errors import CorruptRecordError, TrackingValueError

# --------------------------------------------------------------------------------------------- values

_SCALARS = (str, int, float, bool, type(None))


def json_value(value: Any, path: str = "value", _depth: int = 0) -> Any:
    """Returns ``value`` as plain JSON data (dict/list/str/int/float/bool/None) or raises TrackingValueError.

    Numpy-like scalars and arrays (anything with ``item()`` / ``tolist()``) are converted, as ML-Dash does;
    tuples become lists; subclasses of int/float/str (IntEnum, numpy.float64) become the base type.
    NaN and +-Infinity stay floats: ``dumps`` writes them as the tokens NaN / Infinity / -Infinity.
    """
    cls = type(value)
    if cls in _SCALARS:
        return value
    if _depth > 100:
        raise TrackingValueError(path, value, "nested more than 100 levels deep, or a cycle")
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        out: Dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TrackingValueError(f"{path}[{key!r}]", key, "dict keys must be strings")
            if key == "__proto__":
                # JavaScript readers (the server, the dashboard) drop such a key: refused here, not lost there.
                raise TrackingValueError(f"{path}[{key!r}]", key, 'the key "__proto__" cannot be stored faithfully; rename it')
            out[key] = json_value(item, f"{path}.{key}", _depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [json_value(item, f"{path}[{i}]", _depth + 1) for i, item in enumerate(value)]
    if hasattr(value, "dtype"):
        tolist = getattr(value, "tolist", None)
        if callable(tolist):
            try:
                converted = tolist()
            except Exception:
                converted = value
            if converted is not value:
                return json_value(converted, path, _depth + 1)
    item = getattr(value, "item", None)
    if callable(item):
        try:
            converted = item()
        except Exception:
            converted = value
        if type(converted) in _SCALARS:
            return converted
    raise TrackingValueError(path, value)


def flatten(value: Dict[str, Any], parent: str = "") -> Dict[str, Any]:
    """ML-Dash's ``flatten_dict``: nested dicts become dot keys; lists and other values are leaves."""
    out: Dict[str, Any] = {}
    for key, item in value.items():
        name = f"{parent}.{key}" if parent else key
        if isinstance(item, dict) and item:
            out.update(flatten(item, name))
        elif isinstance(item, dict):
            # An empty dict has no leaves; ML-Dash drops it too.
            continue
        else:
            out[name] = item
    return out


def unflatten(flat: Dict[str, Any]) -> Dict[str, Any]:
    """Nested view of dot keys. A key that is both a leaf and a parent ('a' and 'a.b') keeps its flat
    form for the deeper key (the format's rule)."""
    out: Dict[str, Any] = {}
    for key in sorted(flat, key=lambda k: k.count(".")):
        parts = key.split(".")
        node = out
        ok = True
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                ok = False
                break
            node = child
        if ok and parts[-1] not in node:
            node[parts[-1]] = flat[key]
        else:
            out[key] = flat[key]
    return out


# --------------------------------------------------------------------------------------------- text

# One encoder for every call: json.dumps builds a new one per call when given options.
_ENCODER = json.JSONEncoder(allow_nan=True, separators=(",", ":"))


def _no_default(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


try:
    # The C encoder without cycle checks, for flat dicts of plain scalars (the metric hot path), where a
    # cycle cannot occur: about 2x faster than going through JSONEncoder.encode.
    _c_encoder: Any = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None, _no_default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True
    )
except (AttributeError, TypeError):  # pragma: no cover - pure-Python json
    _c_encoder = None


def dumps_flat(value: Dict[str, Any]) -> str:
    """``dumps`` for a dict whose values are only str/int/float/bool/None (checked by the caller)."""
    if _c_encoder is not None:
        return "".join(_c_encoder(value, 0))
    return _ENCODER.encode(value)


def dumps(value: Any) -> str:
    """One JSON document on one line, compact (``{"a":1}``) as labrun writes it; ML-Dash reads it.

    NaN, Infinity and -Infinity are written as the bare tokens ``NaN``, ``Infinity``, ``-Infinity``
    (Python's json module and ML-Dash read and write them so); every other value is strict JSON.
    """
    return _ENCODER.encode(value)


def loads(text: str) -> Any:
    """Parses one JSON document; accepts the NaN/Infinity tokens ``dumps`` writes."""
    return json.loads(text)


def utc_now_iso() -> str:
    """Current UTC time as ML-Dash writes it: naive ISO-8601 with microseconds and a trailing 'Z'."""
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None).isoformat() + "Z"


def epoch_from_iso(text: Any) -> Optional[float]:
    """Parses the timestamps ML-Dash and labrun write; None when it is not one."""
    if not isinstance(text, str) or not text:
        return None
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    try:
        parsed = _dt.datetime.fromisoformat(t)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return parsed.timestamp()


# --------------------------------------------------------------------------------------------- files

_temp_counter = itertools.count(1)


def temp_name(path: str) -> str:
    """``<file>.<pid>.<n>.tmp``: the temporary sibling readers ignore."""
    return f"{path}.{os.getpid()}.{next(_temp_counter)}.tmp"


def write_json_atomic(path: str, value: Any) -> None:
    """Replaces ``path`` with ``value`` so a reader or a crash sees the old or the new file, never half."""
    write_bytes_atomic(path, dumps(value).encode("utf-8"))


def write_bytes_atomic(path: str, data: bytes) -> None:
    temp = temp_name(path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def read_json(path: str, default: Any = None, strict: bool = False) -> Any:
    """Reads a JSON document; ``default`` when it is missing (or, unless ``strict``, unreadable)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return default
    try:
        return loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        if strict:
            raise CorruptRecordError(path, str(error)) from None
        return default


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def repair_torn_tail(path: str) -> int:
    """Cuts a last line that has no newline (a write cut short by a crash). Returns bytes removed."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return 0
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return 0
        os.lseek(fd, size - 1, os.SEEK_SET)
        if os.read(fd, 1) == b"\n":
            return 0
        # Walk back in blocks to the last newline.
        pos = size
        block = 65536
        cut = 0
        while pos > 0:
            start = max(0, pos - block)
            os.lseek(fd, start, os.SEEK_SET)
            chunk = os.read(fd, pos - start)
            i = chunk.rfind(b"\n")
            if i >= 0:
                cut = start + i + 1
                break
            pos = start
        os.ftruncate(fd, cut)
        return size - cut
    finally:
        os.close(fd)


def append_bytes(path: str, data: bytes) -> None:
    """Appends whole lines with one ``write`` (O_APPEND), creating the file and its folder if needed.

    A write that fails part way (a full disk writes what fits, then ENOSPC) is cut back to where it
    started, so the file always ends with a whole record and the same lines can be appended again later.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.fstat(fd).st_size
        try:
            _write_all(fd, data)
        except BaseException:
            # Freeing space needs none; should it fail anyway, the torn tail is cut at the next open.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
            raise
    finally:
        os.close(fd)
