"""The launch front door: NeMo-Run's names (``Experiment``, ``Script``, ``Partial``, executors, tunnels,
packagers, ``Plugin``) building a plan for labrun's engine. ``import labrun as run`` exposes them all."""

from .executors import (
    DirectExecutor,
    Executor,
    GitArchivePackager,
    LocalExecutor,
    LocalTunnel,
    PatternPackager,
    SlurmExecutor,
    SSHTunnel,
)
from .experiment import Experiment
from .jobs import Job
from .partial import Partial
from .plugin import ExperimentPlugin, Plugin
from .script import Script

__all__ = [
    "Experiment",
    "Job",
    "Script",
    "Partial",
    "Executor",
    "LocalExecutor",
    "DirectExecutor",
    "SlurmExecutor",
    "LocalTunnel",
    "SSHTunnel",
    "GitArchivePackager",
    "PatternPackager",
    "Plugin",
    "ExperimentPlugin",
]
