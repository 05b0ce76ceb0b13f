"""The jobs of an experiment as the Python client plans them, and the checks made before anything is
handed to the engine (names, dependencies, cycles)."""

from __future__ import annotations

from typing import Any, Container, Dict, List, Optional, Sequence

from ..errors import DependencyCycleError, DuplicateJobNameError, ExperimentStateError, UnknownDependencyError


class Job:
    """One ``add()`` call: a single task, or a group of tasks run side by side (NeMo-Run's Job and JobGroup).

    ``id`` is what ``add`` returned; ``dependencies`` may still be changed before ``run()``. Once launched,
    ``state``, ``directory`` and the other fields of ``status(return_dict=True)`` are filled in."""

    def __init__(
        self,
        id: str,
        tasks: List[Any],
        executors: List[Any],
        dependencies: List[str],
        tail_logs: bool,
        group: bool,
        options: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.id = id
        self.tasks = tasks
        self.executors = executors
        self.dependencies = dependencies
        self.tail_logs = tail_logs
        self.group = group
        self.options = dict(options or {})
        self.identities: List[Optional[str]] = [getattr(t, "identity", None) for t in tasks]
        self.status: Dict[str, Any] = {}

    @property
    def task(self) -> Any:
        return self.tasks if self.group else self.tasks[0]

    @property
    def executor(self) -> Any:
        return self.executors if self.group else self.executors[0]

    @property
    def member_names(self) -> List[str]:
        return [f"{self.id}-{i}" for i in range(len(self.tasks))] if self.group else [self.id]

    def to_entry(self) -> Dict[str, Any]:
        entry: Dict[str, Any] = {"name": self.id}
        if self.group:
            entry["tasks"] = [t.to_spec() for t in self.tasks]
            entry["executors"] = [e.to_spec() for e in self.executors]
        else:
            entry["task"] = self.tasks[0].to_spec()
            entry["executor"] = self.executors[0].to_spec()
        if self.dependencies:
            entry["dependencies"] = list(self.dependencies)
        if self.tail_logs:
            entry["tailLogs"] = True
        entry.update(self.options)
        return entry

    def __repr__(self) -> str:
        kind = "JobGroup" if self.group else "Job"
        return f"{kind}(id={self.id!r}, tasks={len(self.tasks)}, dependencies={self.dependencies!r})"


def unique_name(taken: Container[str], explicit: Optional[str], fallback: str, group: bool) -> str:
    """The id for a new job: the explicit name (a duplicate is an error), else the task's name made unique
    with ``-1``, ``-2``... (as the TypeScript ``add``). ``taken``: the ids and member names so far."""
    if explicit is not None:
        if not explicit.strip():
            raise ExperimentStateError("A job name cannot be empty.")
        if explicit in taken:
            raise DuplicateJobNameError(explicit)
        return explicit
    base = f"{fallback}-group" if group else fallback
    name, n = base, 0
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def check_dependencies(job: Job, known: Container[str]) -> None:
    """Every dependency of a new job names an earlier job or group member (then there can be no cycle)."""
    for dependency in job.dependencies:
        if dependency not in known:
            raise UnknownDependencyError(job.id, dependency)


def check_graph(jobs: Sequence[Job]) -> None:
    """Every dependency names an earlier job (or group member), and there is no cycle."""
    known = {}
    for job in jobs:
        for name in [job.id, *job.member_names]:
            known[name] = job.id
    for job in jobs:
        for dependency in job.dependencies:
            if dependency not in known:
                raise UnknownDependencyError(job.id, dependency)
    edges = {job.id: [known[d] for d in job.dependencies] for job in jobs}
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                raise DependencyCycleError(stack[stack.index(nxt) :] + [nxt])
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for job in jobs:
        if job.id not in state:
            visit(job.id)
