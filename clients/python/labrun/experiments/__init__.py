"""experimaestro's entry points on labrun: YAML experiments (``labrun run-experiment``) whose
``experiment.py`` declares a ``@configuration`` dataclass and ``run(helper, cfg)``, and the
``experiment(workdir, name)`` context manager.

>>> from labrun.experiments import ConfigurationBase, ExperimentHelper, configuration
>>> @configuration
... class Configuration(ConfigurationBase):
...     learning_rate: float = 1e-3
>>> def run(helper: ExperimentHelper, cfg: Configuration) -> None:
...     Train(lr=cfg.learning_rate).submit(helper.experiment)
"""

from ..errors import DirtyGitError
from .configuration import ConfigurationBase, configuration
from .helper import DirtyGitAction, ExperimentHelper, experiment
from .mock import mock_modules
from ..services import JobFilesService, Service, ServiceListener, ServiceState, WebService

__all__ = [
    "ConfigurationBase",
    "configuration",
    "ExperimentHelper",
    "experiment",
    "DirtyGitAction",
    "DirtyGitError",
    "mock_modules",
    "Service",
    "WebService",
    "ServiceListener",
    "ServiceState",
    "JobFilesService",
]
