"""experimaestro's experiment services in Python: ``Service``, ``WebService``, ``ServiceListener`` and
``ServiceState``, plus labrun's ``JobFilesService``.

A service is declared while planning (``helper.add_service(...)`` in an ``experiment.py``, or
``exp.add_service(...)`` on a ``run.Experiment``) and run by the engine in a process of its own
(``python -m labrun._service_runner``), rebuilt there from its class and ``state_dict()``: the keyword
arguments it was constructed with, by default. ``labrun experiment status`` and the dashboard list it.

>>> class Hello(WebService):
...     id = "hello"
...     def __init__(self, greeting: str = "hello"):
...         super().__init__()
...         self.greeting = greeting
...     def _serve(self, running):
...         server = http.server.HTTPServer(("127.0.0.1", 0), make_handler(self.greeting))
...         self.url = f"http://127.0.0.1:{server.server_port}/"
...         self.server = server
...         running.set()
...         server.serve_forever()
...     def close(self):
...         self.server.shutdown()
>>> helper.add_service(Hello(greeting="bonjour"))
"""

from __future__ import annotations

import enum
import inspect
import os
import threading
from typing import Any, Dict, Optional, Set

from ._callables import check_json


class ServiceState(enum.Enum):
    """STOPPED → STARTING → RUNNING → STOPPING → STOPPED."""

    STOPPED = 0
    STARTING = 1
    RUNNING = 2
    STOPPING = 3


class ServiceListener:
    """Told of every state change of the services it listens to."""

    def service_state_changed(self, service: "Service") -> None:
        pass


class Service:
    """A long-running helper of an experiment (a dashboard, a file server). Give it an ``id`` (class
    attribute or set in ``__init__``); override ``start()`` to acquire what it needs and ``stop()`` to
    release it. It runs in its own process from the engine's launch until the experiment ends (after the
    jobs, until Ctrl-C); ``state_dict()`` gives the keyword arguments that rebuild it there (JSON values)."""

    id: str
    _state: ServiceState = ServiceState.STOPPED

    def __new__(cls, *args: Any, **kwargs: Any) -> "Service":
        instance = super().__new__(cls)
        instance.__dict__["_labrun_init"] = (args, kwargs)
        return instance

    def __init__(self) -> None:
        self.listeners: Set[ServiceListener] = set()

    def add_listener(self, listener: ServiceListener) -> None:
        self._listeners().add(listener)

    def remove_listener(self, listener: ServiceListener) -> None:
        self._listeners().discard(listener)

    def _listeners(self) -> Set[ServiceListener]:
        if "listeners" not in self.__dict__:  # a subclass that did not call super().__init__()
            self.listeners = set()
        return self.listeners

    def description(self) -> str:
        return ""

    @property
    def state(self) -> ServiceState:
        return self._state

    @state.setter
    def state(self, state: ServiceState) -> None:
        self._state = state
        for listener in list(self._listeners()):
            listener.service_state_changed(self)

    def state_dict(self) -> Dict[str, Any]:
        """The keyword arguments that rebuild this service (``type(self)(**state_dict())``) in the process
        that runs it. Default: the arguments it was constructed with (paths as strings)."""
        args, kwargs = self.__dict__.get("_labrun_init", ((), {}))
        if not args:
            return dict(kwargs)
        try:
            bound = inspect.signature(type(self)).bind(*args, **kwargs)
        except TypeError:
            return dict(kwargs)
        return dict(bound.arguments)

    def start(self) -> None:
        """Acquires what the service needs; returns once it runs."""

    def stop(self) -> None:
        """Releases it."""


class WebService(Service):
    """A service with a URL (experimaestro's ``WebService``): implement ``_serve(running)``, which sets
    ``self.url``, calls ``running.set()`` once it answers, then serves until ``close()`` is called (or
    ``should_stop()`` is true). The URL is shown by ``labrun experiment status`` and the dashboard."""

    def __init__(self) -> None:
        super().__init__()
        self.url: Optional[str] = None
        self._stop_event = threading.Event()
        self.thread: Optional[threading.Thread] = None

    def should_stop(self) -> bool:
        return self._stop_event.is_set()

    def _serve(self, running: threading.Event) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _serve(running).")

    def close(self) -> None:
        """Stops serving (``_serve`` then returns)."""

    def get_url(self) -> Optional[str]:
        """The URL, starting the service if it is not running."""
        if self.state is ServiceState.STOPPED:
            self.start()
        return self.url

    def start(self) -> None:
        if "_stop_event" not in self.__dict__:
            self._stop_event = threading.Event()
        running = threading.Event()
        failure: list = []

        def serve() -> None:
            try:
                self._serve(running)
            except BaseException as error:  # noqa: BLE001 - reported by start(), which waits for it
                failure.append(error)
                raise
            finally:
                running.set()

        self.thread = threading.Thread(target=serve, name=f"service[{self.id}]", daemon=True)
        self.thread.start()
        running.wait()
        if failure:
            raise failure[0]
        if not self.thread.is_alive() and self.url is None:
            raise RuntimeError(f"{type(self).__name__}._serve returned without serving.")

    def stop(self) -> None:
        self._stop_event.set()
        self.close()
        if self.thread is not None:
            self.thread.join(timeout=10)


class JobFilesService:
    """labrun's file browser over the experiment's job directories (logs, outputs), served by the engine on
    127.0.0.1 (the TypeScript ``JobFilesService``). Its URL is shown by ``labrun experiment status``."""

    def __init__(self, id: str = "job-files", host: Optional[str] = None, port: Optional[int] = None) -> None:
        self.id = id
        self.host = host
        self.port = port

    def to_spec(self) -> Dict[str, Any]:
        spec: Dict[str, Any] = {"kind": "job-files", "id": self.id}
        if self.host:
            spec["host"] = self.host
        if self.port is not None:
            spec["port"] = int(self.port)
        return spec


def service_spec(service: Any) -> Dict[str, Any]:
    """The plan entry of a service (docs/plan-protocol.md, "Services"), or a typed error before anything
    is launched: not a service, no ``id``, a class that cannot be imported again, a state that is not JSON."""
    from ._callables import locate
    from .errors import InvalidTaskError

    if isinstance(service, JobFilesService):
        return service.to_spec()
    if not isinstance(service, Service):
        raise InvalidTaskError(
            f"add_service() takes a labrun.services.Service (or WebService, JobFilesService), got {service!r}.",
            {"service": repr(service)},
        )
    service_id = getattr(service, "id", None)
    if not isinstance(service_id, str) or not service_id:
        raise InvalidTaskError(
            f"Service {type(service).__name__} has no id: set `id = \"...\"` on the class or in __init__.",
            {"service": type(service).__name__},
        )
    where = locate(type(service), f"Service {type(service).__name__}")
    state = {key: _plain(value) for key, value in service.state_dict().items()}
    spec: Dict[str, Any] = {
        "kind": "python",
        "id": service_id,
        **where.spec(),
        "qualname": where.qualname,
        "state": check_json(state, f"the state of service {service_id}"),
    }
    description = service.description()
    if description:
        spec["description"] = str(description)
    return spec


def _plain(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, os.PathLike) else value
