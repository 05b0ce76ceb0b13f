"""The job side of Python tasks: ``python -m labrun._job_runner <jobDir>/call.json``.

The engine writes ``call.json`` (docs/plan-protocol.md, "Running a Python job"): where the function or
task class is (``module``, or ``file`` for code of a ``__main__`` script, loaded as ``__labrun_main__`` so
its ``if __name__ == "__main__":`` block does not run again) and what to call it with. The runner calls it,
writes a JSON-serialisable return value to ``result.json`` next to ``call.json`` and exits 0; an exception
ends the process as any uncaught exception does (traceback on stderr, exit 1, the tracked run FAILED).
Inside, ``Run.current()`` is the job's run (the engine sets ``LABRUN_RUN_DIR``)."""

from __future__ import annotations

import importlib
import os
import sys

from . import _context as context
from ._json_lite import dumps, loads

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a job ~10 ms of start-up: only for type checkers
    from typing import Any, Dict

MAIN_ALIAS = "__labrun_main__"


def load(call: Dict[str, Any]) -> Any:
    """The function or class ``call`` names, imported."""
    module_name, file = call.get("module"), call.get("file")
    context.importing_for_job = True
    try:
        if module_name:
            module = importlib.import_module(module_name)
        else:
            from importlib import util  # only for a file: a module is imported by name

            path = os.path.abspath(str(file))
            folder = os.path.dirname(path)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            spec = util.spec_from_file_location(MAIN_ALIAS, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"Cannot load {path} as Python code.")
            module = util.module_from_spec(spec)
            sys.modules[MAIN_ALIAS] = module
            spec.loader.exec_module(module)
    finally:
        context.importing_for_job = False
    target: Any = module
    name = call.get("qualname") or call.get("function") or ""
    for part in name.split("."):
        if not hasattr(target, part):
            where = module_name or file
            raise AttributeError(f"{where} has no {name!r} (it was renamed or removed since the job was planned).")
        target = getattr(target, part)
    return target


def call_target(call: Dict[str, Any]) -> Any:
    target = load(call)
    if call.get("kind") == "task":
        from ._task_fields import in_job  # only typed tasks need it (and its imports)

        token = in_job.set(True)
        try:
            instance = target(**(call.get("params") or {}))
        finally:
            in_job.reset(token)
        object.__setattr__(instance, "job_dir", os.environ.get("LABRUN_JOB_DIR", ""))
        return instance.execute()
    return target(*(call.get("args") or []), **(call.get("kwargs") or {}))


def write_result(job_dir: str, result: Any) -> None:
    if result is None:
        return
    try:
        text = dumps(result)
    except (TypeError, ValueError) as error:
        print(f"labrun: the return value is not JSON ({error}); result.json not written.", file=sys.stderr)
        return
    temp = os.path.join(job_dir, f".result.json.{os.getpid()}.tmp")
    with open(temp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(temp, os.path.join(job_dir, "result.json"))


def main(argv: Any = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m labrun._job_runner <call.json>", file=sys.stderr)
        return 2
    call_file = os.path.abspath(args[0])
    with open(call_file, "r", encoding="utf-8") as f:
        call = loads(f.read())
    if call.get("labrunCall") != 1:
        print(
            f"labrun: {call_file} is not a call this client reads (labrunCall={call.get('labrunCall')!r}).",
            file=sys.stderr,
        )
        return 2
    result = call_target(call)
    write_result(os.path.dirname(call_file), result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
