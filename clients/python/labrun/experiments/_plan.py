"""The experiment.py planner that ``labrun run-experiment`` runs: ``python -m labrun.experiments._plan
<request.json>`` (docs/plan-protocol.md, "The experiment.py planner").

It runs ``pre_experiment``, stubs ``mockModules``, imports the experiment file, checks the merged YAML
against its ``@configuration`` dataclass, calls ``run(helper, cfg)`` and prints one plan on stdout. It never
launches. A typed error: exit 2 with ``{"labrunError": {...}}`` on stdout; any other exception: its
traceback on stderr, exit 1."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import inspect
import json
import os
import runpy
import sys
import typing
from typing import Any, Dict, Optional

from ..errors import ExperimentFileError, LabrunError
from ..launch.experiment import Experiment
from .configuration import ConfigurationBase, build
from .helper import ExperimentHelper
from .mock import mock_modules


def _run_pre_experiment(pre: str) -> None:
    if pre.endswith(".py") or os.path.sep in pre:
        if not os.path.isfile(pre):
            raise ExperimentFileError(f"pre_experiment {pre} does not exist. Fix `pre_experiment` in the YAML file.")
        runpy.run_path(pre, run_name="__labrun_pre_experiment__")
    else:
        importlib.import_module(pre)


def _import_experiment(file: Optional[str], module: Optional[str]) -> Any:
    if module:
        return importlib.import_module(module)
    if not file or not os.path.isfile(file):
        raise ExperimentFileError(f"The experiment file {file} does not exist. Fix `file` in the YAML file.")
    name = os.path.splitext(os.path.basename(file))[0]
    if name in sys.modules:  # a module of the same name is already loaded: keep the file's own
        name = f"__labrun_experiment_{name}"
    folder = os.path.dirname(os.path.abspath(file))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ExperimentFileError(f"{file} cannot be loaded as Python code.")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def configuration_class(module: Any, run: Any) -> type:
    """The dataclass ``run``'s second parameter is annotated with, else the module's ``Configuration``,
    else a ``@configuration`` class of the module, else ``ConfigurationBase``."""
    try:
        params = list(inspect.signature(run).parameters)
        hints = typing.get_type_hints(run)
        if len(params) >= 2 and dataclasses.is_dataclass(hints.get(params[1])):
            return hints[params[1]]
    except (TypeError, ValueError, NameError):
        pass
    found = getattr(module, "Configuration", None)
    if isinstance(found, type) and dataclasses.is_dataclass(found):
        return found
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and getattr(value, "__labrun_configuration__", False)
            and value is not ConfigurationBase
        ):
            if getattr(value, "__module__", None) == module.__name__:
                return value
    return ConfigurationBase


def plan(request: Dict[str, Any]) -> Dict[str, Any]:
    os.chdir(request.get("cwd") or os.getcwd())
    for folder in reversed(request.get("pythonpath") or []):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    if request.get("mockModules"):
        mock_modules(request["mockModules"])
    if request.get("preExperiment"):
        _run_pre_experiment(request["preExperiment"])
    module = _import_experiment(request.get("experimentFile"), request.get("module"))
    run = getattr(module, "run", None)
    if not callable(run):
        where = request.get("experimentFile") or request.get("module")
        raise ExperimentFileError(
            f"{where} has no function `run(helper, cfg)`. Define it at the top level of the file."
        )
    cfg = build(configuration_class(module, run), request.get("configuration") or {})
    exp = Experiment(request["title"], base_dir=request.get("workdir"))
    exp._planning = {}
    helper = ExperimentHelper(exp, request.get("runMode") or "NORMAL", request.get("yamlFiles") or [])
    with exp:
        run(helper, cfg)
    return exp.to_config(request.get("runMode") or "NORMAL", **exp._planning)


def main(argv: Any = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m labrun.experiments._plan <request.json>", file=sys.stderr)
        return 2
    with open(args[0], "r", encoding="utf-8") as f:
        request = json.load(f)
    out = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):  # what the experiment prints must not corrupt the plan
            result = plan(request)
    except LabrunError as error:
        out.write(json.dumps({"labrunError": error.to_dict()}) + "\n")
        return 2
    out.write(json.dumps(result, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
