"""ML-Dash's names on labrun's client, for code written for ml-dash that should run without installing it.

Change ``from ml_dash import Experiment`` to ``from labrun.ml_dash import Experiment``; the rest stays::

    from labrun.ml_dash import Experiment, ml_dash_experiment, RUN

    with Experiment(prefix="alice/project/my-experiment", dash_root=".dash").run as exp:
        exp.log("Training started")
        exp.params.set(learning_rate=0.001)
        exp.files("configs").save_json({"lr": 0.001}, to="config.json")

As in ml-dash, ``dash_root`` (default ``".dash"``) is the local folder of runs and ``dash_url`` a server
(``labrun serve``): both given is hybrid mode (written locally and sent), ``dash_url`` with ``dash_root=None``
is remote only. ``RUN.user`` reads ``$ML_DASH_USER`` as ml-dash does.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

from .run import Run
from .run_info import RUN

__all__ = ["Experiment", "ml_dash_experiment", "RUN"]

F = TypeVar("F", bound=Callable[..., Any])


class Experiment(Run):
    """ml-dash's ``Experiment``: a labrun :class:`~labrun.Run` taking ml-dash's constructor arguments."""

    def __init__(
        self,
        prefix: Optional[str] = None,
        *,
        readme: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[List[str]] = None,
        bindrs: Optional[List[str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        dash_url: Union[str, bool, None] = None,
        dash_root: Optional[str] = ".dash",
        token: Optional[str] = None,
        **options: Any,
    ) -> None:
        remote = bool(dash_url)
        super().__init__(
            prefix,
            readme=readme,
            description=description,
            tags=tags,
            bindrs=bindrs,
            metadata=metadata,
            root=dash_root if dash_root else None,
            dash_url=dash_url if remote else None,
            token=token,
            **({"local": dash_root is not None} if remote else {}),
            **options,
        )


def ml_dash_experiment(prefix: Optional[str] = None, **kwargs: Any) -> Callable[[F], F]:
    """ml-dash's decorator: each call runs inside ``Experiment(prefix, **kwargs).run`` and the function gets
    the open experiment as its ``experiment=`` keyword argument."""

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **func_kwargs: Any) -> Any:
            with Experiment(prefix=prefix, **kwargs).run as experiment:
                func_kwargs["experiment"] = experiment
                return func(*args, **func_kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
