"""Inspecting and controlling launched experiments from any Python process, through the engine's CLI
(``labrun experiment status|cancel|logs|list --json``): NeMo-Run's ``status``, ``cancel``, ``logs``,
``from_id``, ``from_title`` and ``catalog``."""

from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, List, Optional

from ..errors import CorruptRecordError, ExperimentStateError
from .engine import run_cli, run_cli_json
from .jobs import Job

_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(key: str) -> str:
    return _SNAKE.sub("_", key).lower()


def _launched_id(exp: Any) -> str:
    if not exp._launched and not exp._reconstructed:
        raise ExperimentStateError(f"Experiment {exp.title} has not been launched yet; call run() first.")
    return exp._id


def nemo_view(job: Dict[str, Any]) -> Dict[str, Any]:
    """A JobStatus of the engine with NeMo-Run's keys added and labrun's in snake_case."""
    view = {_snake(k): v for k, v in job.items()}
    view.update(
        name=job.get("name"),
        status=job.get("state"),
        executor=job.get("executor"),
        job_id=job.get("jobId", ""),
        local_dir=job.get("directory", ""),
    )
    return view


def status(exp: Any, return_dict: bool) -> Optional[Dict[str, Dict[str, Any]]]:
    if not exp._launched and not exp._reconstructed:
        planned = {}
        for index, job in enumerate(n for j in exp._jobs for n in j.member_names):
            planned[job] = {
                "index": index,
                "name": job,
                "status": "PENDING",
                "state": "PENDING",
                "job_id": "",
                "local_dir": "",
            }
        if return_dict:
            return planned
        print(f"Experiment {exp.title} (not launched)")
        for job in planned.values():
            print(f"{job['index']}  {job['name']}  PENDING")
        return None
    if return_dict:
        answer = run_cli_json(["experiment", "status", _launched_id(exp)], exp.base_dir)
        return {job["name"]: nemo_view(job) for job in answer.get("jobs", [])}
    print(run_cli(["experiment", "status", _launched_id(exp)], exp.base_dir), end="")
    return None


def cancel(exp: Any, job_id: str) -> None:
    run_cli_json(["experiment", "cancel", _launched_id(exp), str(job_id)], exp.base_dir)


def logs(exp: Any, job_id: str, regex: Optional[str]) -> List[str]:
    args = ["experiment", "logs", _launched_id(exp), str(job_id)] + (["--regex", regex] if regex else [])
    out = run_cli(args, exp.base_dir)
    if out and not exp.clean_mode:
        print(out, end="")
    return out.splitlines()


def catalog(title: str, base_dir: Optional[str]) -> List[str]:
    args = ["experiment", "list"] + (["--title", title] if title else [])
    return [summary["id"] for summary in run_cli_json(args, base_dir)]


def reopen(cls: Any, id_or_title: str, base_dir: Optional[str]) -> Any:
    answer = run_cli_json(["experiment", "status", id_or_title], base_dir)
    exp = cls(answer.get("title") or id_or_title, id=answer.get("id"), base_dir=base_dir)
    exp._reconstructed = True
    exp._dir = answer.get("dir")
    for job in answer.get("jobs", []):
        record = Job(job["name"], [None], [None], list(job.get("dependencies", [])), False, False)
        record.status = nemo_view(job)
        exp._append(record)
    return exp


def jobs_from_records(exp: Any) -> List[Job]:
    """The jobs of a reopened experiment, rebuilt from the task configs its job directories record, so
    ``reset()`` can plan them again."""
    from .stored import StoredExecutor, StoredTask

    jobs = []
    for job in exp._jobs:
        directory = job.status.get("local_dir") or ""
        try:
            with open(os.path.join(directory, "job.json"), "r", encoding="utf-8") as f:
                record = json.load(f)
        except (OSError, ValueError) as error:
            raise CorruptRecordError(os.path.join(directory, "job.json"), str(error)) from None
        task = StoredTask(record.get("task") or {})
        executor = StoredExecutor(record["executor"]) if isinstance(record.get("executor"), dict) else exp.executor
        jobs.append(Job(job.id, [task], [executor], list(job.dependencies), False, False))
    return jobs
