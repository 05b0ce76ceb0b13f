"""experimaestro's ``ExperimentHelper`` and its ``experiment(workdir, name, dirty_git=...)`` context manager."""

from __future__ import annotations

import enum
import os
import subprocess
import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

from .. import _context
from ..errors import DirtyGitError
from ..launch.experiment import Experiment


class DirtyGitAction(str, enum.Enum):
    """What to do when the git repository has uncommitted changes."""

    IGNORE = "ignore"
    WARN = "warn"
    ERROR = "error"


class ExperimentHelper:
    """What ``run(helper, cfg)`` of an ``experiment.py`` gets from ``labrun run-experiment``: the experiment
    to submit tasks to (``helper.experiment``, also ``helper.xp``), the run mode and the YAML files."""

    def __init__(self, experiment: Experiment, run_mode: str = "NORMAL", yaml_files: Sequence[str] = ()) -> None:
        self.experiment = experiment
        self.run_mode = run_mode
        self.yaml_files: List[str] = list(yaml_files)

    @property
    def xp(self) -> Experiment:
        return self.experiment

    @property
    def workdir(self) -> Optional[str]:
        return self.experiment.base_dir

    def add_service(self, service: Any) -> Any:
        """Adds a service (``labrun.services.Service``, ``WebService`` or ``JobFilesService``) to the
        experiment: in NORMAL mode the engine starts it in its own process, shows it in ``labrun experiment
        status`` and keeps it up after the jobs until Ctrl-C. Not started in DRY_RUN and GENERATE."""
        return self.experiment.add_service(service)

    @property
    def services(self) -> Dict[str, Any]:
        """The services added, by id."""
        return self.experiment.services


def git_dirty(folder: str) -> Optional[str]:
    """The repository holding ``folder`` when it has uncommitted changes to tracked files (untracked files do not
    count, as for the engine and experimaestro), else None (also outside git)."""
    try:
        top = subprocess.run(
            ["git", "-C", folder, "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
        if top.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", folder, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return top.stdout.strip() if status.returncode == 0 and status.stdout.strip() else None


class experiment:  # noqa: N801 - experimaestro's name
    """experimaestro's context manager: tasks submitted inside go to one experiment titled ``name`` in the
    workspace ``workdir``; leaving the block launches them and waits for them.

    ``dirty_git``: ``DirtyGitAction.ERROR`` raises ``DirtyGitError`` on entering when the git repository of
    the current folder has uncommitted changes; ``WARN`` (default) warns; ``IGNORE`` does not look.

    >>> with experiment("/scratch/xp", "my-experiment", dirty_git=DirtyGitAction.ERROR) as xp:
    ...     Train(lr=1e-3).submit()
    """

    def __init__(
        self,
        workdir: Union[str, "os.PathLike[str]", None],
        name: str,
        dirty_git: Union[DirtyGitAction, str] = DirtyGitAction.WARN,
        **options: Any,
    ) -> None:
        self.action = DirtyGitAction(getattr(dirty_git, "value", dirty_git))
        self.xp = Experiment(
            name, base_dir=os.fspath(workdir) if workdir else None, dirty_git=self.action.value, **options
        )

    def __enter__(self) -> Experiment:
        if self.action is not DirtyGitAction.IGNORE and not _context.importing_for_job:
            repository = git_dirty(os.getcwd())
            if repository and self.action is DirtyGitAction.ERROR:
                raise DirtyGitError(repository, "experiment(dirty_git=DirtyGitAction.ERROR)")
            if repository:
                warnings.warn(f"The git repository {repository} has uncommitted changes.", stacklevel=2)
                self.xp.dirty_git = "ignore"  # warned once here
        return self.xp.__enter__()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None and self.xp.jobs and not self.xp._launched:
                self.xp.run()
        finally:
            self.xp.__exit__(exc_type, exc, tb)
