"""experimaestro's first-stage example on labrun (docs/python-launch.md): a typed task, a @configuration that the
merged YAML is checked against, and run(helper, cfg).

    npx labrun run-experiment --run-mode NORMAL examples/python/first_stage/full.yaml
"""
from dataclasses import field
from typing import List

from labrun.experiments import ConfigurationBase, ExperimentHelper, configuration
from labrun.tasks import Meta, Param, Task, task


@task("first_stage.train")
class Train(Task):
    learning_rate: Param[float]
    epochs: Param[int] = 3
    verbose: Meta[bool] = False  # passed to the job, not part of its identity

    def execute(self) -> None:
        from labrun import Run

        run = Run.current()
        loss = 1.0
        for epoch in range(1, self.epochs + 1):
            loss *= 1 - self.learning_rate
            run.metrics("train").log(loss=loss, step=epoch)
            if self.verbose:
                print(f"epoch {epoch} loss={loss:.4f}", flush=True)
        print(f"learning_rate={self.learning_rate} loss={loss:.4f}", flush=True)


@configuration
class Configuration(ConfigurationBase):
    #: Default learning rate
    learning_rate: float = 1e-3
    #: The sweep (defaults to the learning rate above)
    learning_rates: List[float] = field(default_factory=list)
    epochs: int = 3


def run(helper: ExperimentHelper, cfg: Configuration) -> None:
    for lr in cfg.learning_rates or [cfg.learning_rate]:
        Train(learning_rate=lr, epochs=cfg.epochs, verbose=True).submit(helper.experiment)
