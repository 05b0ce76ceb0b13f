"""JSON for the job runner's start-up: ``call.json`` in, ``result.json`` out, without importing ``json``.

Importing ``json`` imports ``re`` and compiles its patterns: about 8 ms of CPU, half of what a bare Python
start-up costs, paid by every launched job. These readers and writers use the C helpers of ``_json`` (what
``json`` itself uses) for strings; anything they do not handle (no ``_json``, a malformed document, a value
that is not plain JSON) is handed to the ``json`` module, so results and errors are exactly ``json``'s."""

from __future__ import annotations

try:
    from _json import encode_basestring_ascii as _quote
    from _json import scanstring as _scanstring
except ImportError:  # another Python implementation: use json
    _quote = None
    _scanstring = None

_WHITESPACE = " \t\n\r"
_NUMBER = "+-0123456789.eE"
_CONSTANTS = {"true": True, "false": False, "null": None}


class _Fallback(Exception):
    pass


def loads(text: str) -> object:
    """``json.loads(text)``."""
    if _scanstring is not None:
        try:
            value, end = _value(text, _skip(text, 0))
            if _skip(text, end) == len(text):
                return value
        except (_Fallback, ValueError, IndexError, RecursionError):
            pass
    import json

    return json.loads(text)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WHITESPACE:
        i += 1
    return i


def _value(text: str, i: int) -> tuple:
    char = text[i]
    if char == '"':
        return _scanstring(text, i + 1, True)  # type: ignore[misc]
    if char == "{":
        out = {}
        i = _skip(text, i + 1)
        if text[i] == "}":
            return out, i + 1
        while True:
            if text[i] != '"':
                raise _Fallback
            key, i = _scanstring(text, i + 1, True)  # type: ignore[misc]
            i = _skip(text, i)
            if text[i] != ":":
                raise _Fallback
            out[key], i = _value(text, _skip(text, i + 1))
            i = _skip(text, i)
            if text[i] == "}":
                return out, i + 1
            if text[i] != ",":
                raise _Fallback
            i = _skip(text, i + 1)
    if char == "[":
        items = []
        i = _skip(text, i + 1)
        if text[i] == "]":
            return items, i + 1
        while True:
            item, i = _value(text, i)
            items.append(item)
            i = _skip(text, i)
            if text[i] == "]":
                return items, i + 1
            if text[i] != ",":
                raise _Fallback
            i = _skip(text, i + 1)
    for word, constant in _CONSTANTS.items():
        if text.startswith(word, i):
            return constant, i + len(word)
    end = i
    while end < len(text) and text[end] in _NUMBER:
        end += 1
    number = text[i:end]
    if not _is_number(number):
        raise _Fallback  # not JSON: let json say why
    if "." in number or "e" in number or "E" in number:
        return float(number), end
    return int(number), end


def _is_number(s: str) -> bool:
    """JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?"""
    i, n = (1 if s[:1] == "-" else 0), len(s)
    if i >= n or not "0" <= s[i] <= "9":
        return False
    if s[i] == "0":
        i += 1
    else:
        while i < n and "0" <= s[i] <= "9":
            i += 1
    for marks, signs in ((".", ""), ("eE", "+-")):
        if i < n and s[i] in marks:
            i += 1
            if i < n and signs and s[i] in signs:
                i += 1
            start = i
            while i < n and "0" <= s[i] <= "9":
                i += 1
            if i == start:
                return False
    return i == n


def dumps(value: object) -> str:
    """``json.dumps(value, allow_nan=False)`` (a ``ValueError`` for NaN and infinities, a ``TypeError`` for
    what is not JSON-serialisable), written without ``json`` for plain values."""
    if _quote is not None:
        try:
            return _encode(value)
        except _Fallback:
            pass
    import json

    return json.dumps(value, allow_nan=False)


def _encode(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is str:
        return _quote(value)  # type: ignore[misc]
    if kind is int:
        return int.__repr__(value)  # type: ignore[arg-type]
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise _Fallback  # json raises the error
        return float.__repr__(value)  # type: ignore[arg-type]
    if kind is list or kind is tuple:
        return "[" + ", ".join(_encode(item) for item in value) + "]"  # type: ignore[attr-defined]
    if kind is dict:
        parts = []
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str:
                raise _Fallback  # json's rules for other keys
            parts.append(_quote(key) + ": " + _encode(item))  # type: ignore[misc]
        return "{" + ", ".join(parts) + "}"
    raise _Fallback
