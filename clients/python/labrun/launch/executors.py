"""Executors (where a job runs), tunnels (how Slurm is reached) and packagers (what code is shipped):
NeMo-Run's names, with the options of the TypeScript engine's classes in snake_case."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidExecutorError
from .options import Options, env_map, flag, text, text_list, whole


class Executor(Options):
    """Base class of the executors; ``env`` holds variables added to every job of this executor."""


class LocalExecutor(Executor):
    """Runs each job as a child process on this machine; jobs outlive the Python process that planned them.

    Options: ``max_parallel`` (jobs at once, default the number of CPUs), ``env``, ``cancel_grace_ms``
    (SIGTERM to SIGKILL, default 5000).

    >>> run.LocalExecutor(max_parallel=4, env={"OMP_NUM_THREADS": "1"})
    """

    kind = "local"
    _options = {"max_parallel": whole(1), "env": env_map, "cancel_grace_ms": whole(0)}
    _aliases = {"env_vars": "env"}


class DirectExecutor(Executor):
    """Runs the jobs one at a time in the engine's own process, their output on this terminal (what
    ``run(direct=True)`` uses). Jobs end with it: it cannot ``detach``. Options: ``env``, ``cancel_grace_ms``."""

    kind = "direct"
    _options = {"env": env_map, "cancel_grace_ms": whole(0)}
    _aliases = {"env_vars": "env"}


class LocalTunnel(Options):
    """Slurm's commands are on this machine (a login node); ``env`` is set for every Slurm command
    (e.g. ``SLURM_CONF``)."""

    kind = "local"
    _options = {"env": env_map}


class SSHTunnel(Options):
    """Reaches the cluster's login node with the system ``ssh`` (one shared connection).

    Options: ``host`` and ``job_dir`` (absolute, on the cluster) are required; ``user``, ``port``,
    ``identity`` (key file), ``ssh_options`` (``{"StrictHostKeyChecking": "accept-new"}``),
    ``persist_seconds``, ``interactive``.
    """

    kind = "ssh"
    _options = {
        "host": text,
        "user": text,
        "port": whole(1),
        "identity": text,
        "job_dir": text,
        "ssh_options": env_map,
        "persist_seconds": whole(0),
        "interactive": flag,
    }
    _required = ("host", "job_dir")


class GitArchivePackager(Options):
    """Ships the committed tree of the git repository holding ``path`` (default: the current folder) at
    ``ref`` (default HEAD); uncommitted changes are refused unless ``include_uncommitted=True``."""

    kind = "git-archive"
    _options = {"path": text, "ref": text, "include_uncommitted": flag}


class PatternPackager(Options):
    """Ships the files matching globs (``include=["*.py", "configs/**/*.yaml"]``) relative to ``root``."""

    kind = "pattern"
    _options = {"include": text_list, "root": text}
    _required = ("include",)


def _tunnel(what: str, value: Any) -> Any:
    if not isinstance(value, (LocalTunnel, SSHTunnel)):
        raise InvalidExecutorError(f"{what} must be a LocalTunnel or an SSHTunnel, got {value!r}.")
    return value


def _packager(what: str, value: Any) -> Any:
    if not isinstance(value, (GitArchivePackager, PatternPackager)):
        raise InvalidExecutorError(f"{what} must be a GitArchivePackager or a PatternPackager, got {value!r}.")
    return value


def _array(what: str, value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, dict) and set(value) <= {"throttle"}:
        if "throttle" in value:
            whole(1)(f"{what}['throttle']", value["throttle"])
        return dict(value)
    raise InvalidExecutorError(f"{what} must be True, False or {{'throttle': n}}, got {value!r}.")


def _setup_lines(what: str, value: Any) -> Any:
    return value if isinstance(value, str) else text_list(what, value)


def _additional(what: str, value: Any) -> Any:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, (str, int, float, bool)) for k, v in value.items()
    ):
        raise InvalidExecutorError(f"{what} must map sbatch option names to strings, numbers or booleans.")
    return dict(value)


class SlurmExecutor(Executor):
    """Runs each job as a Slurm batch job (sbatch), on this machine or through an ``SSHTunnel``.

    Options (the TypeScript ``SlurmExecutor``'s, in snake_case): ``account``, ``partition``, ``nodes``,
    ``ntasks_per_node``, ``cpus_per_task``, ``gpus_per_node``, ``mem`` ("16G"), ``time`` ("02:00:00"),
    ``exclusive``, ``requeue``, ``additional_parameters`` (any other sbatch option: ``{"qos": "high"}``),
    ``job_name``, ``array`` (jobs of the same shape go as one job array; ``{"throttle": n}``),
    ``setup_lines`` (shell lines before the job), ``env``, ``max_parallel``, ``resume_on_timeout`` (requeue
    a job killed at its time limit up to n times), ``tunnel`` (default ``LocalTunnel()``), ``packager``.

    >>> run.SlurmExecutor(partition="gpu", gpus_per_node=1, time="02:00:00", mem="16G")
    """

    kind = "slurm"
    _options = {
        "account": text,
        "partition": text,
        "nodes": whole(1),
        "ntasks_per_node": whole(1),
        "cpus_per_task": whole(1),
        "gpus_per_node": whole(0),
        "mem": text,
        "time": text,
        "exclusive": flag,
        "requeue": flag,
        "additional_parameters": _additional,
        "job_name": text,
        "array": _array,
        "setup_lines": _setup_lines,
        "env": env_map,
        "max_parallel": whole(1),
        "resume_on_timeout": whole(0),
        "tunnel": _tunnel,
        "packager": _packager,
    }
    _aliases = {"env_vars": "env"}


def check_executor(value: Any, what: str = "executor") -> Executor:
    if not isinstance(value, Executor):
        raise InvalidExecutorError(
            f"{what} must be a LocalExecutor, DirectExecutor or SlurmExecutor, got {value!r}.",
            {"value": repr(value)},
        )
    return value


__all__ = [
    "Executor",
    "LocalExecutor",
    "DirectExecutor",
    "SlurmExecutor",
    "LocalTunnel",
    "SSHTunnel",
    "GitArchivePackager",
    "PatternPackager",
    "check_executor",
]
