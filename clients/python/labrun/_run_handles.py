"""ML-Dash's ways to drive a run besides ``start()`` / ``complete()``: the lifecycle handle ``run.run``
(a context manager and a decorator) and the ``@tracked`` decorator."""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, TypeVar, Union

if TYPE_CHECKING:
    from .run import Run

F = TypeVar("F", bound=Callable[..., Any])


def outcome_of(exc: Optional[BaseException]) -> Tuple[str, Optional[str], Optional[Dict[str, Any]]]:
    """How a run ends for the way its body ended: nothing or exit 0 → COMPLETED; Ctrl-C → CANCELLED;
    SystemExit(n) → FAILED 'exit code n'; any other exception → FAILED with the error."""
    from ._status_record import error_record

    if exc is None or isinstance(exc, GeneratorExit):
        return "COMPLETED", None, None
    if isinstance(exc, KeyboardInterrupt):
        return "CANCELLED", "SIGINT", None
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None or code == 0:
            return "COMPLETED", None, None
        return "FAILED", f"exit code {code}" if isinstance(code, int) else str(code), None
    return "FAILED", f"{type(exc).__name__}: {exc}", error_record(exc)


class RunLifecycle:
    """``run.run``: ML-Dash's lifecycle handle: ``start/complete/fail/cancel``, a context manager, and a
    decorator (``@run.run`` calls the function with the run)."""

    def __init__(self, run: "Run") -> None:
        self._run = run

    def start(self) -> "Run":
        return self._run.start()

    def complete(self) -> None:
        self._run.complete()

    def fail(self, error: Union[BaseException, str, None] = None) -> None:
        self._run.fail(error)

    def cancel(self, reason: Optional[str] = None) -> None:
        self._run.cancel(reason)

    def __enter__(self) -> "Run":
        return self._run.start()

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        return self._run.__exit__(exc_type, exc, tb)

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self as run:
                return fn(run, *args, **kwargs)

        return wrapper  # type: ignore[return-value]


def tracked(prefix: Union[str, Callable[..., Any], None] = None, **options: Any) -> Any:
    """Decorator: each call of the function runs inside ``Run(prefix, **options)`` (COMPLETED on return,
    FAILED on an exception, CANCELLED on Ctrl-C). The run is passed as ``run=`` when the function takes a
    ``run`` parameter (or ``**kwargs``)::

        @tracked(prefix="alice/vision/resnet", tags=["baseline"])
        def train(lr, run):
            run.params.set(lr=lr)
    """

    def decorate(fn: F) -> F:
        try:
            parameters = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            parameters = {}  # type: ignore[assignment]
        wants_run = "run" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from .run import Run

            with Run(prefix if isinstance(prefix, str) else None, **options) as run:
                if wants_run and "run" not in kwargs:
                    kwargs["run"] = run
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    if callable(prefix):
        fn, prefix = prefix, None
        return decorate(fn)
    return decorate
