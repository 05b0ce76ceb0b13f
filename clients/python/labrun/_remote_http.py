"""The HTTP API's transport with the standard library (urllib): JSON in and out, the bearer token, and
errors rebuilt as labrun errors."""

from __future__ import annotations

import http.client
import json
import math
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Mapping, Optional, Union

from ._remote_errors import ServerUnreachableError, rebuild_error


def wire_value(value: Any) -> Any:
    """NaN and ±Infinity travel as the strings "NaN", "Infinity", "-Infinity" (JSON has no such tokens)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: wire_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire_value(v) for v in value]
    return value


def wire_dumps(value: Any) -> str:
    try:
        # The common case, no NaN or Infinity anywhere, in one pass of the C encoder.
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(wire_value(value), separators=(",", ":"), allow_nan=False)


_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def unwire(value: Any) -> Any:
    """A value as read back: "NaN", "Infinity", "-Infinity" become floats again, at any depth."""
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, dict):
        return {k: unwire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwire(v) for v in value]
    return value


def unwire_fields(fields: Mapping[str, Any]) -> Dict[str, Any]:
    """Metric fields as read back (see ``unwire``)."""
    return {k: unwire(v) for k, v in fields.items()}


class HttpClient:
    def __init__(self, url: str, token: Optional[str] = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token or None
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        query: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        raw: Union[bytes, Any, None] = None,
        headers: Optional[Mapping[str, str]] = None,
        text: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Any:
        """Sends a request; returns the parsed JSON answer (raw bytes for non-JSON). Raises the rebuilt labrun
        error on a non-2xx answer and ``ServerUnreachableError`` when there is no answer."""
        url = self.url + path
        if query:
            pairs = {k: v for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        all_headers = dict(headers or {})
        data: Any = None
        if text is not None:
            data = text.encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        elif body is not None:
            data = wire_dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        elif raw is not None:
            data = raw
        req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        if self.token:
            # Not sent on after a redirect: a file download may answer 302 to an object store's presigned
            # URL, which must not see the token (and S3 refuses a second authentication).
            req.add_unredirected_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as response:
                payload = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            try:
                parsed = json.loads(error.read().decode("utf-8") or "{}")
            except Exception:  # noqa: BLE001 - an answer that is not our JSON
                parsed = None
            raise rebuild_error(error.code, parsed) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError, OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            raise ServerUnreachableError(self.url, str(reason)) from None
        if "json" in kind:
            return json.loads(payload.decode("utf-8") or "{}")
        return payload
