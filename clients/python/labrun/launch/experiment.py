"""NeMo-Run's ``run.Experiment`` in Python, on labrun's engine: ``add`` builds the job graph here, ``run``
hands it to ``labrun plan run`` as a plan (docs/plan-protocol.md) and the engine launches and drives it."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Dict, List, Optional, Sequence, Union

from .._callables import locate
from ..errors import ExperimentStateError, InvalidExecutorError, InvalidTaskError, UsageError
from .. import _context as context
from . import inspect_cli
from .engine import PlanRun
from .executors import Executor, LocalExecutor, check_executor
from .jobs import Job, check_dependencies, check_graph, unique_name
from .partial import Partial
from .plugin import Plugin
from .script import Script

_LEVELS = {"DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARN", "WARNING": "WARN", "ERROR": "ERROR"}


class Experiment:
    """A set of jobs launched together as a dependency graph (NeMo-Run's ``run.Experiment``).

    >>> with run.Experiment("sweep", executor=run.LocalExecutor()) as exp:
    ...     prep = exp.add(run.Script(inline="echo prepare"), name="prep")
    ...     exp.add([run.Partial(train, lr=0.1), run.Partial(train, lr=0.01)], name="train", dependencies=[prep])
    ...     exp.run(tail_logs=True)
    # leaving the block waits for the jobs (unless run(detach=True)), then prints how to inspect them

    ``base_dir`` is the workspace (default ``$LABRUN_HOME`` or ``~/.labrun``); ``clean_mode`` prints nothing
    but errors; ``python`` is the interpreter of Python jobs (default ``sys.executable``); ``dirty_git``
    (``"error"``, ``"warn"``, ``"ignore"``) checks the git repository of the current folder at launch.
    """

    def __init__(
        self,
        title: str,
        executor: Optional[Executor] = None,
        id: Optional[str] = None,
        log_level: str = "INFO",
        base_dir: Optional[str] = None,
        clean_mode: bool = False,
        python: Optional[str] = None,
        dirty_git: Optional[str] = None,
    ) -> None:
        if not isinstance(title, str) or not title.strip():
            raise ExperimentStateError("An experiment needs a non-empty title.")
        if str(log_level).upper() not in _LEVELS:
            raise UsageError(f"log_level {log_level!r} is not known. Use DEBUG, INFO, WARN or ERROR.")
        dirty = getattr(dirty_git, "value", dirty_git)
        if dirty not in (None, "error", "warn", "ignore"):
            raise UsageError(f"dirty_git {dirty_git!r} is not known. Use 'error', 'warn' or 'ignore'.")
        self._title = title
        self.executor = check_executor(executor) if executor is not None else LocalExecutor()
        self._id = id
        self.log_level = _LEVELS[str(log_level).upper()]
        self.base_dir = os.path.abspath(base_dir) if base_dir else None
        self.clean_mode = clean_mode
        self.python = python or sys.executable
        self.dirty_git = dirty
        self._jobs: List[Job] = []
        self._names: Dict[str, str] = {}  # job ids and group member names → job id
        self._plugins: List[Plugin] = []
        self._services: Dict[str, Any] = {}  # id → the service as given
        self._service_specs: List[Dict[str, Any]] = []
        self._dry_ran = False
        self._engine: Optional[PlanRun] = None
        self._launched = False
        self._reconstructed = False
        self._token: Any = None
        self._dir: Optional[str] = None
        self.result: Optional[Dict[str, Any]] = None
        self._inert = context.importing_for_job
        #: Set by the experiment.py planner: run() records its options instead of launching.
        self._planning: Optional[Dict[str, bool]] = None

    # ---- identity ----

    @property
    def title(self) -> str:
        return self._title

    @property
    def id(self) -> Optional[str]:
        """The experiment's id: given, or chosen by the engine at launch (``<title>_<YYYYMMDD-HHMMSS>``)."""
        return self._id

    @property
    def dir(self) -> Optional[str]:
        return self._dir

    @property
    def jobs(self) -> List[Job]:
        return list(self._jobs)

    @property
    def tasks(self) -> List[Any]:
        return [job.task for job in self._jobs]

    # ---- planning ----

    def add(
        self,
        task: Union[Any, Sequence[Any]],
        executor: Optional[Union[Executor, Sequence[Executor]]] = None,
        name: Optional[str] = None,
        plugins: Optional[Sequence[Plugin]] = None,
        tail_logs: bool = False,
        dependencies: Optional[Sequence[str]] = None,
        retries: Optional[int] = None,
        force: bool = False,
    ) -> str:
        """Adds a task (``Script``, ``Partial`` or a typed ``Task``), or a list of tasks run side by side as
        one group, and returns the job id to use in ``dependencies``, ``cancel`` and ``logs``. Typed tasks
        given as parameters of this one are added first (once), and this job waits for them.

        ``executor`` is one executor, or one per task of a group (default: the experiment's). ``plugins``
        change copies of the task and executor. A dependency that is not the id of an earlier job is an
        ``UnknownDependencyError``; nothing is launched until ``run()``.
        """
        if self._launched or self._reconstructed:
            raise ExperimentStateError(
                f"Experiment {self._id or self._title} is already launched; use reset() to run it again."
            )
        group = isinstance(task, (list, tuple))
        tasks = list(task) if group else [task]
        if not tasks:
            raise ExperimentStateError("add() needs at least one task.")
        for each in tasks:
            _check_task(each)
        executors = self._executors_for(len(tasks), executor)
        # Plugins change copies (a typed task's copy accepts new parameter values until it is frozen below),
        # before anything depends on the task: reuse, upstream jobs and the identity follow their changes.
        tasks, executors = [t.clone() for t in tasks], [e.clone() for e in executors]
        for plugin in plugins or []:
            for i in range(len(tasks)):
                changed = plugin.setup(tasks[i], executors[i])
                if isinstance(changed, tuple) and len(changed) == 2:
                    tasks[i], executors[i] = changed
                    _check_task(tasks[i])
        for each in tasks:
            if hasattr(each, "freeze"):
                each.freeze()
        if not group and getattr(tasks[0], "reusable", False):
            same = next((j for j in self._jobs if not j.group and j.identities[0] == tasks[0].identity), None)
            if same is not None:
                return same.id
        implied = [self._add_upstream(dep, executors[0]) for each in tasks for dep in _upstream(each)]
        deps = list(dict.fromkeys([*(dependencies or []), *implied]))
        job_id = unique_name(self._names, name, tasks[0].get_name(), group)
        job = Job(job_id, tasks, executors, deps, tail_logs, group)
        if retries:
            job.options["retries"] = retries
        if force:
            job.options["force"] = True
        check_dependencies(job, self._names)
        self._plugins.extend(plugins or [])
        self._append(job)
        return job_id

    def add_service(self, service: Any) -> Any:
        """Adds a service (a ``labrun.services.Service``, ``WebService`` or ``JobFilesService``;
        experimaestro's ``add_service``) and returns it. The engine starts it in its own process before the
        jobs, lists it in ``labrun experiment status`` and the dashboard, and keeps it up after the jobs
        until Ctrl-C (or until it stops by itself). Not started in dry runs."""
        if self._launched or self._reconstructed:
            raise ExperimentStateError(
                f"Experiment {self._id or self._title} is already launched; add services before run()."
            )
        from ..services import service_spec

        spec = service_spec(service)
        if spec["id"] in self._services:
            raise ExperimentStateError(
                f'A service with id "{spec["id"]}" was already added; give each service its own id.'
            )
        self._services[spec["id"]] = service
        self._service_specs.append(spec)
        return service

    @property
    def services(self) -> Dict[str, Any]:
        """The services added, by id."""
        return dict(self._services)

    def _append(self, job: Job) -> None:
        self._jobs.append(job)
        for name in [job.id, *job.member_names]:
            self._names[name] = job.id

    def _add_upstream(self, task: Any, executor: Executor) -> str:
        same = next((j for j in self._jobs if not j.group and j.identities[0] == task.identity), None)
        return same.id if same is not None else self.add(task, executor=executor)

    def _executors_for(self, count: int, given: Any) -> List[Executor]:
        if given is None:
            return [self.executor] * count
        if isinstance(given, (list, tuple)):
            if len(given) != count:
                raise InvalidExecutorError(
                    f"Got {len(given)} executors for {count} tasks; give one executor, or one per task."
                )
            return [check_executor(e) for e in given]
        return [check_executor(given)] * count

    def to_config(self, mode: str = "NORMAL", **run_options: bool) -> Dict[str, Any]:
        """The plan this experiment hands to the engine (a JSON-ready dict; docs/plan-protocol.md)."""
        main = sys.modules.get("__main__")
        main_file = getattr(main, "__file__", None)
        ours = (getattr(getattr(main, "__spec__", None), "name", None) or "").startswith("labrun.")
        # The folder of the planning script is on its sys.path; the jobs need it too to import its neighbours.
        pythonpath = [os.path.dirname(os.path.abspath(main_file))] if main_file and not ours else []
        plan: Dict[str, Any] = {
            "labrunPlan": 2 if self._service_specs else 1,
            "title": self._title,
            "id": self._id,
            "workspace": self.base_dir,
            "cwd": os.getcwd(),
            "logLevel": self.log_level,
            "cleanMode": self.clean_mode,
            "dirtyGit": self.dirty_git,
            "executor": self.executor.to_spec(),
            "python": {"interpreter": self.python, "pythonpath": pythonpath},
            "run": {k: bool(v) for k, v in run_options.items()},
            "mode": mode,
            "jobs": [job.to_entry() for job in self._jobs],
        }
        if self._service_specs:  # a version-1 plan otherwise, which older engines read too
            plan["services"] = [dict(spec) for spec in self._service_specs]
        return plan

    # ---- launching ----

    def run(
        self, sequential: bool = False, detach: bool = False, tail_logs: bool = False, direct: bool = False
    ) -> Optional[Dict[str, Any]]:
        """Hands the jobs to the engine, which launches them. Inside the ``with`` block it returns once they
        are launched (leaving the block waits for them, as in NeMo-Run); outside, it waits and returns the
        engine's result (``{"id", "state", "ok", "jobs": [...]}``). ``detach`` returns once a background
        supervisor has taken over; ``sequential`` runs the jobs one after another; ``tail_logs`` shows every
        job's output; ``direct`` runs them one by one in the engine's own process.

        Bad input (unknown executor option, unknown dependency, a cycle) raises a typed error before anything
        is launched."""
        if self._inert:
            return None
        if self._planning is not None:
            self._planning.update(detach=detach, sequential=sequential, tailLogs=tail_logs, direct=direct)
            return None
        if self._launched:
            raise ExperimentStateError(f"Experiment {self._id} was already launched; use reset() to run it again.")
        if self._reconstructed:
            raise ExperimentStateError(
                f"Experiment {self._id} was reopened to inspect it; use reset() to run it again."
            )
        if not self._jobs:
            raise ExperimentStateError("Nothing to run: add() tasks first.")
        if detach and direct:
            raise ExperimentStateError(
                "`direct` runs jobs inside the engine's process, so it cannot `detach`; choose one."
            )
        if detach and self._services:
            raise ExperimentStateError(
                "Services run beside the engine, which ends when the launch detaches: run without "
                "`detach=True`, or start the service yourself."
            )
        check_graph(self._jobs)
        plan = self.to_config("NORMAL", detach=detach, sequential=sequential, tailLogs=tail_logs, direct=direct)
        self._engine = PlanRun(plan, self.base_dir)
        try:
            planned = self._engine.wait_planned()
        except BaseException:
            self._engine = None  # it has ended: nothing to wait for on leaving the block
            raise
        self._launched = True
        self._id, self._dir = planned.get("id"), planned.get("dir")
        for job in self._jobs:
            job.status = {"planned": [j for j in planned.get("jobs", []) if j.get("name") in job.member_names]}
        if detach or context.current_experiment.get() is not self:
            return self.wait()
        return None

    def wait(self) -> Optional[Dict[str, Any]]:
        """Waits for the engine to end and returns its result (None if nothing was launched here)."""
        if self._engine is None:
            return self.result
        engine, self._engine = self._engine, None
        try:
            self.result = engine.wait()
        finally:
            for plugin in dict.fromkeys(self._plugins):
                plugin.teardown(self.result)
        if engine.interrupted and not self.result.get("detached"):
            raise KeyboardInterrupt
        return self.result

    def dryrun(self, log: bool = True) -> List[Dict[str, Any]]:
        """Lists what ``run`` would launch (names, identities, whether a completed job would be reused)
        without running anything; the engine prints it unless ``log=False``."""
        if self._inert or not self._jobs:
            return []
        check_graph(self._jobs)
        plan = self.to_config("DRY_RUN")
        if not log:
            plan["cleanMode"] = True
        engine = PlanRun(plan, self.base_dir)
        planned = engine.wait_planned()
        engine.wait()
        self._dry_ran = True
        return list(planned.get("jobs", []))

    def reset(self) -> "Experiment":
        """A new, unlaunched experiment with the same title and jobs, to run them again."""
        fresh = Experiment(
            self._title,
            self.executor,
            None,
            self.log_level,
            self.base_dir,
            self.clean_mode,
            self.python,
            self.dirty_git,
        )
        if self._reconstructed:
            jobs = inspect_cli.jobs_from_records(self)
        else:
            jobs = [
                Job(j.id, j.tasks, j.executors, list(j.dependencies), False, j.group, j.options) for j in self._jobs
            ]
        for job in jobs:
            fresh._append(job)
        fresh._services = dict(self._services)
        fresh._service_specs = [dict(spec) for spec in self._service_specs]
        return fresh

    # ---- inspecting (through the CLI's --json commands) ----

    def status(self, return_dict: bool = False) -> Optional[Dict[str, Dict[str, Any]]]:
        """Prints each job's status, or with ``return_dict=True`` returns ``{job name: {...}}`` with
        NeMo-Run's keys (``name``, ``status``, ``executor``, ``job_id``, ``local_dir``) and labrun's
        (``state``, ``reason``, ``exit_code``, ``dependencies``...)."""
        return inspect_cli.status(self, return_dict)

    def cancel(self, job_id: str) -> None:
        """Cancels a job (or a group) and, through the graph, the jobs that depend on it."""
        inspect_cli.cancel(self, job_id)

    def logs(self, job_id: str, regex: Optional[str] = None) -> List[str]:
        """Prints a job's output lines (stdout then stderr), only those matching ``regex`` when given, and
        returns them."""
        return inspect_cli.logs(self, job_id, regex)

    @classmethod
    def from_id(cls, id: str, base_dir: Optional[str] = None) -> "Experiment":
        """Reopens a launched experiment (from any process) to inspect it: status, logs, cancel."""
        return inspect_cli.reopen(cls, id, base_dir)

    @classmethod
    def from_title(cls, title: str, base_dir: Optional[str] = None) -> "Experiment":
        """Reopens the latest experiment with this title."""
        return inspect_cli.reopen(cls, title, base_dir)

    @classmethod
    def catalog(cls, title: str = "", base_dir: Optional[str] = None) -> List[str]:
        """Ids of the experiments of the workspace (of one title when given), oldest first."""
        return inspect_cli.catalog(title, base_dir)

    # ---- context manager ----

    def __enter__(self) -> "Experiment":
        self._token = context.current_experiment.set(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self._engine is not None and exc_type is not None:
                try:  # the jobs end (the engine cancels them on Ctrl-C); the error already raised is the one to see
                    self.wait()
                except Exception:
                    pass
            elif self._engine is not None:
                self.wait()
            elif (
                not self._launched
                and not self._reconstructed
                and self._jobs
                and exc_type is None
                and not self._inert
                and self._planning is None
                and not self._dry_ran
            ):
                warnings.warn(
                    f"Experiment {self._title}: {len(self._jobs)} job(s) were added but run() was never called; "
                    f"nothing was launched.",
                    stacklevel=2,
                )
        finally:
            if self._token is not None:
                context.current_experiment.reset(self._token)
                self._token = None

    def __repr__(self) -> str:
        return f"Experiment(title={self._title!r}, id={self._id!r}, jobs={len(self._jobs)})"


def _check_task(task: Any) -> None:
    from ..tasks import Task

    if isinstance(task, Task):
        locate(type(task), f"Task {type(task).__name__}")  # a class inside a function: refused now, not at run()
    elif not isinstance(task, (Script, Partial)):
        raise InvalidTaskError(
            f"add() takes a run.Script, a run.Partial or a typed Task (or a list of them), got {task!r}."
        )


def _upstream(task: Any) -> List[Any]:
    return task.dependencies() if hasattr(task, "dependencies") and callable(task.dependencies) else []
