"""Parameters of a run: nested values merged into one flattened ``parameters.json``."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from . import _jsonio as jio

if TYPE_CHECKING:
    from .run import _RunBase


def _classes_to_dicts(values: Mapping[str, Any]) -> Dict[str, Any]:
    # ML-Dash accepts a config class (params.set(Args=Args)) and stores its public attributes.
    out: Dict[str, Any] = {}
    for key, value in values.items():
        if inspect.isclass(value):
            out[key] = {
                k: v
                for k, v in vars(value).items()
                if not k.startswith("_") and not callable(v) and not isinstance(v, (type, staticmethod, classmethod, property))
            }
        else:
            out[key] = value
    return out


class Params:
    """``run.params``.

    >>> run.params.set(lr=1e-3, model={"depth": 50})
    >>> run.params.set(model={"width": 2})          # merged: model.depth is kept
    >>> run.params.get()                            # flattened view
    {'lr': 0.001, 'model.depth': 50, 'model.width': 2}
    >>> run.params.get(flatten=False)
    {'lr': 0.001, 'model': {'depth': 50, 'width': 2}}
    """

    def __init__(self, run: "_RunBase") -> None:
        self._run = run

    def set(self, values: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> "Params":
        """Merges parameters (nested dicts become dot keys; a key set again is replaced). Written at once.
        Accepts a mapping, keyword arguments, or both. A write the disk refuses (full) is not raised: it stays
        queued and is written when the disk takes it (``run.write_status()``)."""
        writer = self._run._writable()
        merged: Dict[str, Any] = {}
        if values is not None:
            merged.update(values)
        merged.update(kwargs)
        checked = jio.json_value(_classes_to_dicts(merged), "params")
        flat = jio.flatten(checked)
        if flat:
            writer.set_params(flat)
        return self

    log = set
    update = set

    def get(self, flatten: bool = True) -> Dict[str, Any]:
        """All parameters: flattened to dot keys (default) or nested (``flatten=False``)."""
        flat = self._run._sink.read_params()
        writer = self._run._writer
        waiting = writer.pending_params() if writer is not None else None
        if waiting:
            flat = {**flat, **waiting}
        return dict(flat) if flatten else jio.unflatten(flat)

    @property
    def flat(self) -> Dict[str, Any]:
        return self.get(flatten=True)

    @property
    def nested(self) -> Dict[str, Any]:
        return self.get(flatten=False)

    def __getitem__(self, key: str) -> Any:
        return self.get()[key]

    def __repr__(self) -> str:
        return f"Params({self.get()!r})"
