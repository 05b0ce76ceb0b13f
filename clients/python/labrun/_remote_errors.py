"""Errors of remote mode, and rebuilding the server's ``{error: {code, message, details}}`` as labrun errors."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from . import errors as _errors
from .errors import LabrunError


class ServerUnreachableError(LabrunError, ConnectionError):
    """The labrun server did not answer (connection refused, DNS, timeout)."""

    code = "SERVER_UNREACHABLE"

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(
            f"Cannot reach the labrun server at {url} ({problem}). Check that `labrun serve` runs there and that "
            f"the URL (dash_url / LABRUN_URL) is right. Runs in remote mode keep their data in the buffer "
            f"meanwhile; `labrun sync` sends what is left.",
            {"url": url, "problem": problem},
        )


class ServerRequestError(LabrunError):
    """An error the server answered with whose code has no class of its own in this client (UNAUTHORIZED,
    FORBIDDEN, PAYLOAD_TOO_LARGE, ...): the server's code and message."""

    code = "SERVER_ERROR"

    def __init__(self, code: str, message: str, status: int, details: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(message, {**dict(details or {}), "status": status})
        self.code = code
        self.status = status


def _classes() -> Dict[str, type]:
    table: Dict[str, type] = {}
    for value in vars(_errors).values():
        if isinstance(value, type) and issubclass(value, LabrunError) and value is not LabrunError:
            code = value.__dict__.get("code")
            if isinstance(code, str):
                table.setdefault(code, value)
    return table


def rebuild_error(status: int, body: Any) -> LabrunError:
    """The labrun error for a non-2xx answer: the class with that code (with the server's message), else
    ``ServerRequestError``."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), str) else ("INTERNAL" if status >= 500 else "BAD_REQUEST")
    message = error.get("message") if isinstance(error.get("message"), str) else f"The server answered HTTP {status}."
    details = error.get("details") if isinstance(error.get("details"), dict) else {}
    cls = _classes().get(code)
    if cls is None:
        return ServerRequestError(code, message, status, details)
    rebuilt = cls.__new__(cls)
    LabrunError.__init__(rebuilt, message, {**details, "status": status})
    return rebuilt


def is_auth_refusal(error: BaseException) -> bool:
    """401/403: the server refused the token (missing, wrong, expired, read-only), not the data: the data
    stays buffered until it is sent with a valid token (``labrun sync``)."""
    if isinstance(error, LabrunError):
        return error.details.get("status") in (401, 403)
    return False


def is_retryable(error: BaseException) -> bool:
    """No answer, 5xx, 408 and 429 may succeed when sent again; other 4xx will not."""
    if isinstance(error, ServerUnreachableError):
        return True
    if isinstance(error, LabrunError):
        status = error.details.get("status")
        return isinstance(status, int) and (status >= 500 or status in (408, 429))
    # A local problem (a missing file, a bug) would fail the same way forever.
    return False
