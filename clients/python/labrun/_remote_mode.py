"""Remote mode's settings: whether a run goes to a server (``dash_url`` / ``$LABRUN_URL``), with which token and
options, and the remote sink that sends it there."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from ._remote_sender import RemoteSender
from ._remote_sink import RemoteSink
from .errors import InvalidArgumentError

REMOTE_OPTIONS = {"flush_timeout", "close_timeout", "buffer_dir", "retry_delay", "max_retry_delay", "quiet", "max_memory"}


def remote_settings(
    dash_url: Any, token: Optional[str], local: bool, options: Dict[str, Any]
) -> Optional[Dict[str, Any]]:
    """The settings of remote mode (``url``, ``token``, ``local`` and the ``remote={...}`` options), or None for
    local mode (no ``dash_url`` and no ``$LABRUN_URL``, or ``dash_url=False``). Bad URLs and unknown options
    raise ``InvalidArgumentError`` at the call."""
    if dash_url is False:
        return None
    url = dash_url if isinstance(dash_url, str) and dash_url else os.environ.get("LABRUN_URL") or None
    if not url:
        return None
    if not (url.startswith("http://") or url.startswith("https://")):
        raise InvalidArgumentError(
            f"dash_url {url!r} is not an http(s) URL: pass e.g. dash_url='http://127.0.0.1:4400' (or set LABRUN_URL).",
            {"dash_url": url},
        )
    unknown = set(options) - REMOTE_OPTIONS
    if unknown:
        raise InvalidArgumentError(
            f"Unknown remote option(s) {sorted(unknown)}; known: {sorted(REMOTE_OPTIONS)}.", {"remote": sorted(unknown)}
        )
    tok = token if token is not None else os.environ.get("LABRUN_TOKEN") or None
    return {"url": url, "token": tok, "local": bool(local), **options}


def open_remote_sink(prefix: str, run_dir: str, settings: Dict[str, Any], attach: bool) -> RemoteSink:
    """The remote sink of a run, its sender made with ``settings`` when the run first writes its record."""

    def make_sender(upsert: Dict[str, Any]) -> RemoteSender:
        return RemoteSender(
            settings["url"],
            settings["token"],
            prefix,
            upsert,
            buffer_root=settings.get("buffer_dir"),
            retry_delay=float(settings.get("retry_delay", 0.25)),
            max_retry_delay=float(settings.get("max_retry_delay", 30.0)),
            quiet=bool(settings.get("quiet", False)),
            attach=attach,
            max_memory=int(settings.get("max_memory", 64 * 1024 * 1024)),
        )

    return RemoteSink(run_dir, prefix, make_sender)
