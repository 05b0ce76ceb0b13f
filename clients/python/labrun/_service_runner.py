"""The process of a Python service: ``python -m labrun._service_runner``, started by the engine
(docs/plan-protocol.md, "Services").

The first line of stdin is the service: where its class is and its ``state`` (constructor keyword
arguments). The runner rebuilds it, calls ``start()`` and writes ``{"event": "running", "url", "description"}``
on stdout (the only thing written there: the service's own output goes to stderr). It then waits until
stdin closes (the engine stops it, or has died) or SIGTERM, calls ``stop()``, writes
``{"event": "stopped"}`` and exits 0. Ctrl-C is ignored: it is the engine's to handle. A failing start
writes ``{"event": "error", "message"}`` and exits 1; a ``WebService`` whose ``_serve`` ends by itself ends
the process (the engine shows it STOPPED)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from typing import Any, Dict, IO


def _say(out: IO[str], message: Dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # stdout is the engine's channel: keep it, and send everything else printed (by the service, by its
    # child processes) to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    line = sys.stdin.readline()
    try:
        spec = json.loads(line)
        if spec.get("labrunService") != 1:
            raise ValueError(f"not a service this client reads (labrunService={spec.get('labrunService')!r})")
        from ._job_runner import load
        from .services import ServiceState, WebService

        cls = load({"module": spec.get("module"), "file": spec.get("file"), "qualname": spec["qualname"]})
        service = cls(**(spec.get("state") or {}))
        if not getattr(service, "id", None):
            service.id = spec.get("id")
        service.state = ServiceState.STARTING
        service.start()
        service.state = ServiceState.RUNNING
    except BaseException as error:  # noqa: BLE001 - any failure to start is reported to the engine
        traceback.print_exc()
        _say(out, {"event": "error", "message": f"{type(error).__name__}: {error}"})
        return 1
    url = getattr(service, "url", None)
    _say(out, {"event": "running", "url": url, "description": service.description() or None})

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    serving = getattr(service, "thread", None) if isinstance(service, WebService) else None
    while not done.wait(0.5):
        if serving is not None and not serving.is_alive():
            print(f"labrun: service {service.id} stopped serving by itself.", file=sys.stderr)
            break
    service.state = ServiceState.STOPPING
    try:
        service.stop()
    finally:
        service.state = ServiceState.STOPPED
        _say(out, {"event": "stopped"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
