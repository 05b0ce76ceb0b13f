"""Canonical JSON and identity hashes, byte for byte as the TypeScript engine computes them
(src/config/canonical-json.ts: ``JSON.stringify`` with object keys sorted at every level).

Python's ``json.dumps(sort_keys=True)`` differs from JavaScript's ``JSON.stringify`` on numbers (``3.0`` vs
``3``, ``1e-07`` vs ``1e-7``) and on key order (code points vs UTF-16 units, and JavaScript objects list
integer-like keys such as ``"10"`` first, numerically), so the text is written here.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

_MAX_SAFE = 2**53


def canonical_json(value: Any) -> str:
    """JSON with keys sorted at every level and no whitespace, as ``canonicalJson`` in TypeScript.
    ``None`` values inside objects are kept (JSON ``null``); tuples are arrays."""
    parts: list = []
    _write(value, parts, "$")
    return "".join(parts)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def js_number(value: Any) -> str:
    """``String(n)`` of JavaScript for a Python int or float (NaN and ±Infinity are ``null`` in JSON)."""
    if isinstance(value, int):
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            return str(value)
        value = float(value)
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that round-trip, as JavaScript's Number::toString does.
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + (int(exponent) if exponent else 0)  # value = 0.<digits> * 10**point before stripping
    point -= len(whole + fraction) - len((whole + fraction).lstrip("0"))
    digits = digits.rstrip("0") or "0"
    k, n = len(digits), point
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + text


def _key_order(key: str) -> tuple:
    # A JavaScript object lists integer-like keys ("0", "7", "10") first, in numeric order, whatever order
    # they were inserted in; JSON.stringify follows that order. The other keys keep the sorted order.
    if key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1:
        return (0, int(key), b"")
    return (1, 0, key.encode("utf-16-be", "surrogatepass"))


def _write(value: Any, out: list, path: str) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, (int, float)):
        out.append(js_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, f"{path}[{i}]")
        out.append("]")
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"{path}: object keys must be strings, got {type(key).__name__} {key!r}")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_key_order)):
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(value[key], out, f"{path}.{key}")
        out.append("}")
    else:
        raise TypeError(f"{path}: a {type(value).__name__} is not JSON")
