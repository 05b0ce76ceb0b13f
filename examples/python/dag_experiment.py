"""NeMo-Run's "Manage Experiments" guide on labrun (docs/python-launch.md): groups of tasks, a plugin, a DAG of
groups, then status, logs and re-opening the experiment by id.

    python3 examples/python/dag_experiment.py      # or: npx labrun run examples/python/dag_experiment.py
"""
import labrun as run


def train(lr: float, verbose: bool = False) -> float:
    """A Python function run as a job (`run.Partial`): called in the job's own process."""
    loss = 1.0
    for step in range(1, 4):
        loss *= 1 - lr
        if verbose:
            print(f"step {step} loss={loss:.4f}", flush=True)
    return loss


class Verbose(run.Plugin):
    """Turns on an option of the task and sets a matching variable on its executor (NeMo-Run's use of plugins)."""

    def setup(self, task, executor):
        task.verbose = True
        executor.env["LOG_LEVEL"] = "debug"


def main() -> None:
    inline_script = run.Script(inline="echo 'hello from a task'")
    inline_script_sleep = run.Script(inline="sleep 1; echo 'slept 1 s'")

    with run.Experiment("dag-experiment", log_level="INFO") as exp:
        # One task with its executor, and a Python function with a plugin.
        exp.add(inline_script, executor=run.LocalExecutor(), name="hello")
        exp.add(run.Partial(train, lr=0.1), name="train", plugins=[Verbose()], tail_logs=True)
        # Groups: a list of tasks runs in parallel; add() returns the group's id, a dependency on all of it.
        id1 = exp.add([inline_script, inline_script_sleep], tail_logs=False, name="task-1")
        id2 = exp.add([inline_script, inline_script_sleep], tail_logs=False, name="task-2")
        exp.add(
            [inline_script, inline_script_sleep],
            tail_logs=False,
            name="task-3",
            dependencies=[id1, id2],  # task-3 will only run after task-1 and task-2 have completed
        )
        exp.run(detach=False, sequential=False, tail_logs=False, direct=False)

    # Leaving the `with` block waited for every job.
    exp.status()
    exp.logs("train")  # prints its output lines (and returns them)
    print(exp.status(return_dict=True)["task-3-0"]["status"])

    again = run.Experiment.from_id(exp.id)  # from any process, later
    again.status()
    again.cancel("task-3-1")  # a no-op: it has already ended


# The jobs import this file to find `train`: the guard keeps them from planning the experiment again.
if __name__ == "__main__":
    main()
