"""The launch front door end to end: Python plans, the worktree's engine (`node bin/labrun.js`, after
`npm run build`) runs, with real processes. NeMo-Run's guide examples nearly verbatim."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

import labrun as run

from conftest import ENGINE_JS, read_json, run_script


def cli_json(engine, *args):
    done = subprocess.run(
        ["node", ENGINE_JS, *args, "--json", "--workspace", engine["home"]], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


DAG = """
import labrun as run

inline_script = run.Script(inline="echo 'Hello World'; sleep 0.3")
inline_script_sleep = run.Script(inline="sleep 0.5 && echo 'slept'")

with run.Experiment("dag-experiment", log_level="INFO") as exp:
    id1 = exp.add([inline_script, inline_script_sleep], tail_logs=False, name="task-1")
    id2 = exp.add([inline_script, inline_script_sleep], tail_logs=False, name="task-2")
    exp.add(
        [inline_script, inline_script_sleep],
        tail_logs=False,
        name="task-3",
        dependencies=[id1, id2],  # task-3 will only run after task-1 and task-2 have completed
    )
    exp.run()

print("RESULT", exp.result["state"], exp.id)
"""


def test_dag_experiment_of_the_nemo_run_guide(engine):
    code, out, err = run_script(engine["project"], "dag.py", DAG)
    assert code == 0, err
    assert "RESULT COMPLETED dag-experiment_" in out
    exp_id = out.split("RESULT COMPLETED ")[1].split()[0]
    status = cli_json(engine, "experiment", "status", exp_id)
    jobs = {job["name"]: job for job in status["jobs"]}
    assert sorted(jobs) == ["task-1-0", "task-1-1", "task-2-0", "task-2-1", "task-3-0", "task-3-1"]
    assert all(job["state"] == "COMPLETED" for job in jobs.values())
    first_end = max(jobs[n]["endedAt"] for n in ("task-1-0", "task-1-1", "task-2-0", "task-2-1"))
    assert min(jobs["task-3-0"]["startedAt"], jobs["task-3-1"]["startedAt"]) >= first_end
    with open(os.path.join(jobs["task-1-1"]["directory"], "stdout.log")) as f:
        assert f.read().strip() == "slept"
    assert f"labrun experiment status {exp_id}" in out + err  # the engine's "inspect it later with" hint


SWEEP = """
import labrun as run
from labrun import Run

def train(lr: float, epochs: int = 3) -> dict:
    r = Run.current()
    for epoch in range(epochs):
        r.metrics("train").log(loss=lr / (epoch + 1), step=epoch)
    return {"lr": lr, "final": lr / epochs}

if __name__ == "__main__":
    with run.Experiment("sweep") as exp:
        prep = exp.add(run.Script(inline="echo prepare"), executor=run.LocalExecutor(), name="prep")
        exp.add([run.Partial(train, lr=0.1), run.Partial(train, lr=0.01)], name="train", dependencies=[prep])
        exp.run(tail_logs=True)
        statuses = exp.status(return_dict=True)      # while the jobs run: the engine's view
    final = exp.status(return_dict=True)
    print("STATES", sorted((name, s["status"]) for name, s in final.items()))
    print("DIRS", json.dumps({name: s["local_dir"] for name, s in final.items()}))
"""


def test_partial_sweep_with_tracking_and_results(engine):
    code, out, err = run_script(engine["project"], "sweep.py", "import json\n" + SWEEP)
    assert code == 0, err
    assert "STATES [('prep', 'COMPLETED'), ('train-0', 'COMPLETED'), ('train-1', 'COMPLETED')]" in out
    assert "[prep] prepare" in out  # tailed output of the jobs
    dirs = json.loads(out.split("DIRS ")[1].splitlines()[0])
    assert read_json(os.path.join(dirs["train-0"], "result.json")) == {"lr": 0.1, "final": 0.1 / 3}
    with open(os.path.join(dirs["train-1"], "run", "metrics", "train", "data.jsonl")) as f:
        losses = [json.loads(line)["data"]["loss"] for line in f]
    assert losses == [0.01, 0.005, 0.01 / 3]


DETACH = """
import labrun as run
with run.Experiment("detached") as exp:
    exp.add(run.Script(inline="echo started; sleep 60; echo never"), name="long")
    exp.add(run.Script(inline="echo after"), name="after", dependencies=["long"])
    exp.run(detach=True)
print("ID", exp.id, exp.result["detached"])
"""

INSPECT = """
import sys, time
import labrun as run
exp = run.Experiment.from_id(sys.argv[1] if len(sys.argv) > 1 else "{id}")
for _ in range(100):
    if exp.status(return_dict=True)["long"]["status"] == "RUNNING":
        break
    time.sleep(0.1)
lines = exp.logs("long", regex="^start")
exp.cancel("long")
states = exp.status(return_dict=True)
print("AFTER", states["long"]["status"], states["after"]["status"], lines)
print("CATALOG", run.Experiment.catalog("detached") == [exp.id], run.Experiment.from_title("detached").id == exp.id)
try:
    exp.logs("nope")
except run.UnknownJobError as error:
    print("UNKNOWN", error.code)
try:
    run.Experiment.from_id("no-such-experiment_20000101-000000")
except run.UnknownExperimentError as error:
    print("MISSING", error.code)
"""


def test_detach_then_from_id_in_another_process(engine):
    code, out, err = run_script(engine["project"], "detach.py", DETACH)
    assert code == 0, err
    exp_id, detached = out.split("ID ")[1].split()[:2]
    assert detached == "True"
    code, out, err = run_script(engine["project"], "inspect_it.py", INSPECT.replace("{id}", exp_id))
    assert code == 0, err
    assert "AFTER CANCELLED CANCELLED ['started']" in out
    assert "CATALOG True True" in out
    assert "UNKNOWN JOB_NOT_FOUND" in out and "MISSING EXPERIMENT_NOT_FOUND" in out


TYPED = """
import os, sys
import labrun as run
from labrun.tasks import Meta, Param, Task, task

@task("demo.prepare")
class Prepare(Task):
    n: Param[int]
    def execute(self):
        with open(os.path.join(self.job_dir, "data.txt"), "w") as f:
            f.write("\\n".join(str(i) for i in range(self.n)))
        with open(os.path.join(self.job_dir, "runs"), "a") as f:
            f.write("run\\n")

@task("demo.train")
class Train(Task):
    lr: Param[float]
    data: Param[Prepare]
    verbose: Meta[bool] = False
    def execute(self):
        with open(self.data) as f:
            rows = len(f.read().splitlines())
        return {"lr": self.lr, "rows": rows}

if __name__ == "__main__":
    with run.Experiment("typed") as exp:
        prep = Prepare(n=5).submit(exp)
        train = Train(lr=0.1, data=prep / "data.txt", verbose=sys.argv[1] == "verbose")
        train.submit(exp)
        exp.run()
    print("STATES", exp.result["state"], sorted(j["name"] for j in exp.result["jobs"]))
    print("IDS", prep.identity, train.identity)
"""


def test_typed_tasks_data_flow_and_reuse(engine):
    code, out, err = run_script(engine["project"], "typed.py", TYPED, args=["quiet"])
    assert code == 0, err
    assert "STATES COMPLETED ['demo.prepare', 'demo.train']" in out
    prepare_id, train_id = out.split("IDS ")[1].split()
    jobs = os.path.join(engine["home"], "jobs")
    assert read_json(os.path.join(jobs, "demo.train", train_id, "result.json")) == {"lr": 0.1, "rows": 5}
    # The same work again, with a Meta field changed: the COMPLETED jobs are reused, not run again.
    code, out, err = run_script(engine["project"], "typed.py", TYPED, args=["verbose"])
    assert code == 0, err
    assert out.split("IDS ")[1].split() == [prepare_id, train_id]
    with open(os.path.join(jobs, "demo.prepare", prepare_id, "runs")) as f:
        assert f.read() == "run\n"


def test_engine_refuses_a_bad_plan_with_a_typed_error(engine):
    from labrun.launch.engine import PlanRun

    job = {"name": "a", "task": {"kind": "script", "inline": "true"}}
    with pytest.raises(run.errors.PlanInvalidError, match="bogus") as info:
        PlanRun({"labrunPlan": 1, "title": "x", "bogus": 1, "jobs": [job]}).wait_planned()
    assert info.value.code == "PLAN_INVALID"
    with pytest.raises(run.InvalidTaskError, match="bogus"):
        PlanRun(
            {
                "labrunPlan": 1,
                "title": "x",
                "jobs": [{"name": "a", "task": {"kind": "script", "inline": "true", "bogus": 1}}],
            }
        ).wait_planned()
    with pytest.raises(run.errors.PlanVersionError):
        PlanRun({"labrunPlan": 99, "title": "x", "jobs": [job]}).wait_planned()
    assert run.Experiment.catalog() == []  # nothing was written


def test_dryrun_lists_without_running(engine):
    with run.Experiment("dry", base_dir=engine["home"]) as exp:
        exp.add(run.Script(inline="touch should-not-exist"), name="touch")
        planned = exp.dryrun(log=False)
    assert [job["name"] for job in planned] == ["touch"]
    assert not (engine["project"] / "should-not-exist").exists()
    assert run.Experiment.catalog("dry", base_dir=engine["home"]) == []


def slurm_up():
    if shutil.which("sinfo") is None:
        return False
    done = subprocess.run(["sinfo", "-h", "-o", "%a"], capture_output=True, text=True)
    return done.returncode == 0 and "up" in done.stdout


SLURM = """
import labrun as run

def double(x: int) -> int:
    return 2 * x

if __name__ == "__main__":
    executor = run.SlurmExecutor(partition="debug", time="00:05:00", mem="100M")
    with run.Experiment("py-slurm", executor=executor) as exp:
        first = exp.add(run.Partial(double, 21), name="first")
        exp.add(run.Script(inline="echo second"), name="second", dependencies=[first])
        exp.run()
    states = exp.status(return_dict=True)
    print("SLURM", exp.result["state"], states["first"]["job_id"].isdigit(), states["second"]["executor"])
"""


@pytest.mark.skipif(not slurm_up(), reason="no Slurm cluster here (shared/slurm/local-cluster.sh up starts one)")
def test_two_python_jobs_with_a_dependency_on_slurm(engine):
    code, out, err = run_script(engine["project"], "on_slurm.py", SLURM, timeout=280)
    assert code == 0, err
    assert "SLURM COMPLETED True slurm" in out


ATTACHED = """
import labrun as run
with run.Experiment("attached") as exp:
    exp.add(run.Script(inline="echo started; sleep SECONDS; echo done"), name="long")
    exp.add(run.Script(inline="echo after"), name="after", dependencies=["long"])
    exp.run()
    print("ID", exp.id, flush=True)
print("RESULT", exp.result["state"], flush=True)
"""


def start_attached(engine, seconds):
    (engine["project"] / "attached.py").write_text(ATTACHED.replace("SECONDS", str(seconds)))
    from conftest import child_env

    proc = subprocess.Popen(
        [sys.executable, "attached.py"],
        cwd=str(engine["project"]),
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it: Ctrl-C reaches python and the engine
    )
    line = proc.stdout.readline()
    assert line.startswith("ID "), line + proc.stderr.read()
    exp_id = line.split()[1]
    deadline = time.time() + 120
    while time.time() < deadline:
        jobs = {j["name"]: j for j in cli_json(engine, "experiment", "status", exp_id)["jobs"]}
        if jobs["long"]["state"] == "RUNNING":
            return proc, exp_id
        time.sleep(0.1)
    raise AssertionError("the job never started")


def test_sigkill_of_the_python_driver_then_resume(engine):
    proc, exp_id = start_attached(engine, 5)
    os.kill(proc.pid, 9)
    proc.wait(timeout=10)
    deadline = time.time() + 60  # the engine follows its parent (PR_SET_PDEATHSIG)
    while True:
        listed = {e["id"]: e for e in cli_json(engine, "experiment", "list")}
        if listed[exp_id].get("driven") is False or time.time() > deadline:
            break
        time.sleep(0.2)
    assert listed[exp_id]["state"] == "RUNNING" and listed[exp_id].get("driven") is False
    resumed = cli_json(engine, "experiment", "resume", exp_id)
    assert resumed["ok"] is True
    assert [(j["name"], j["state"]) for j in resumed["jobs"]] == [("long", "COMPLETED"), ("after", "COMPLETED")]


def test_ctrl_c_cancels_the_jobs_and_interrupts_the_script(engine):
    proc, exp_id = start_attached(engine, 60)  # long enough to still run when the cancellation comes
    os.killpg(proc.pid, 2)  # what Ctrl-C does in a terminal: SIGINT to the foreground process group
    out, err = proc.communicate(timeout=240)
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in err
    jobs = {j["name"]: j["state"] for j in cli_json(engine, "experiment", "status", exp_id)["jobs"]}
    assert jobs == {"long": "CANCELLED", "after": "CANCELLED"}


SCRIPT = """
import labrun as run

def square(x: int) -> int:
    print("square of", x)
    return x * x

with run.Experiment("via-labrun-run") as exp:
    exp.add([run.Partial(square, 3), run.Partial(square, 4)], name="squares")
    exp.run(tail_logs=True)
"""


def test_labrun_run_of_a_python_script(engine):
    (engine["project"] / "nemo_style.py").write_text(SCRIPT)
    done = subprocess.run(
        ["node", ENGINE_JS, "run", "nemo_style.py", "--workspace", engine["home"]],
        cwd=str(engine["project"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "square of 3" in done.stdout and "square of 4" in done.stdout
    [summary] = cli_json(engine, "experiment", "list")
    assert summary["state"] == "COMPLETED" and summary["jobs"]["COMPLETED"] == 2


MORE = """
import labrun as run

class Debug(run.Plugin):
    def setup(self, task, executor):
        executor.env["DEBUG_FLAG"] = "on"
        if isinstance(task, run.Script):
            task.args.append("--debug")

def add(a, b):
    print("sum", a + b)
    return a + b

if __name__ == "__main__":
    with run.Experiment("more") as exp:
        exp.add(run.Script(path="pkg.hello", m=True, args=["x"]), name="mod", plugins=[Debug()])
        exp.add(run.Partial(add, 1, 2), name="add")
        exp.run(sequential=True, tail_logs=True)
    print("R1", exp.result["state"], exp.status(return_dict=True)["add"]["dependencies"])
    again = run.Experiment.from_id(exp.id).reset()
    with again:
        again.run()
    print("R2", again.result["state"], [j.id for j in again.jobs], again.id != exp.id)
    with run.Experiment("direct") as d:
        d.add(run.Partial(add, 5, 5), name="add")
        d.run(direct=True)
    print("R3", d.result["state"])
"""


def test_plugins_modules_sequential_reset_and_direct(engine):
    package = engine["project"] / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "hello.py").write_text("import os, sys\nprint('hello', sys.argv[1:], os.environ.get('DEBUG_FLAG'))\n")
    code, out, err = run_script(engine["project"], "more.py", MORE)
    assert code == 0, err
    assert "[mod] hello ['x', '--debug'] on" in out  # the plugin changed the task's args and the executor's env
    assert "[add] sum 3" in out
    assert "R1 COMPLETED ['mod']" in out  # sequential: each job waits for the one added before it
    assert "R2 COMPLETED ['mod', 'add'] True" in out  # reset() of a reopened experiment runs it again
    assert "sum 10" in out and "R3 COMPLETED" in out  # direct: run by the engine itself, output on this terminal


XPM = """
import sys
from labrun.experiments import DirtyGitAction, experiment
from labrun.tasks import Param, Task, task

@task("xpm.square")
class Square(Task):
    x: Param[int]
    def execute(self):
        return self.x * self.x

if __name__ == "__main__":
    with experiment(sys.argv[1], "xpm", dirty_git=DirtyGitAction.IGNORE) as xp:
        Square(x=3).submit()
        Square(x=4).submit()
    print("XPM", xp.result["state"], xp.id.startswith("xpm_"))
    xp.status()
"""


def test_experimaestro_context_manager_launches_on_exit(engine):
    code, out, err = run_script(engine["project"], "xpm.py", XPM, args=[engine["home"]])
    assert code == 0, err
    assert "XPM COMPLETED True" in out
    assert "Experiment status for xpm_" in out and out.count("COMPLETED") >= 3  # the status table printed
    results = []
    for root, _, names in os.walk(os.path.join(engine["home"], "jobs", "xpm.square")):
        if "result.json" in names:
            results.append(read_json(os.path.join(root, "result.json")))
    assert sorted(results) == [9, 16]


def test_sigterm_to_the_python_driver_cancels_the_jobs(engine):
    proc, exp_id = start_attached(engine, 60)
    proc.send_signal(15)
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 143, err
    jobs = {j["name"]: (j["state"], j.get("reason")) for j in cli_json(engine, "experiment", "status", exp_id)["jobs"]}
    assert jobs["long"][0] == "CANCELLED" and "SIGTERM" in jobs["long"][1]
    assert jobs["after"][0] == "CANCELLED"


TS_SIDE = """
import {{ defineTask, Experiment, z }} from "{index}";

const Prepare = defineTask("xl.prepare", {{
  params: z.object({{ n: z.number(), verbose: z.boolean().default(false) }}),
  command: (p, ctx) => `echo ts >> "${{ctx.jobDir}}/runs"`,
}});
const exp = new Experiment("from-ts");
exp.add(Prepare({{ n: 3 }}));
await exp.run();
"""

PY_SIDE = """
import os
import labrun as run
from labrun.tasks import Param, Task, task

@task("xl.prepare")
class Prepare(Task):
    n: Param[int]
    verbose: Param[bool] = False
    def execute(self):
        with open(os.path.join(self.job_dir, "runs"), "a") as f:
            f.write("py\\n")

if __name__ == "__main__":
    with run.Experiment("from-py") as exp:
        Prepare(n=3).submit(exp)
        Prepare(n=4).submit(exp)
        exp.run()
    print("REUSED", exp.result["state"], [job.status["planned"][0]["reused"] for job in exp.jobs])
"""


def test_a_job_run_from_typescript_is_reused_from_python(engine):
    index = os.path.join(os.path.dirname(os.path.dirname(ENGINE_JS)), "dist", "index.js")
    (engine["project"] / "prepare.mjs").write_text(TS_SIDE.format(index=index))
    done = subprocess.run(
        ["node", ENGINE_JS, "run", "prepare.mjs", "--workspace", engine["home"]],
        cwd=str(engine["project"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    code, out, err = run_script(engine["project"], "prepare_py.py", PY_SIDE)
    assert code == 0, err
    assert "REUSED COMPLETED [True, False]" in out
    jobs = os.path.join(engine["home"], "jobs", "xl.prepare")
    runs = sorted(open(os.path.join(jobs, d, "runs")).read() for d in os.listdir(jobs))
    assert runs == ["py\n", "ts\n"]  # n=3 ran once, from TypeScript; n=4 ran from Python


CONFIGURED = """
import os, sys
import labrun as run

def where():
    return {"wrapped": os.environ.get("WRAPPED"), "extra": os.environ.get("EXTRA"), "cwd": os.getcwd()}

if __name__ == "__main__":
    task = run.Partial(where).configure(python=sys.argv[1], env={"EXTRA": "1"}, cwd=sys.argv[2])
    with run.Experiment("configured") as exp:
        exp.add(task, name="where")
        exp.run()
    print("DIR", exp.status(return_dict=True)["where"]["local_dir"])
"""


def test_partial_configure_sets_the_interpreter_env_and_cwd(engine, tmp_path):
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f'#!/bin/bash\nexport WRAPPED=yes\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, out, err = run_script(engine["project"], "configured.py", CONFIGURED, args=[str(wrapper), str(elsewhere)])
    assert code == 0, err
    job_dir = out.split("DIR ")[1].split()[0]
    assert read_json(os.path.join(job_dir, "result.json")) == {"wrapped": "yes", "extra": "1", "cwd": str(elsewhere)}


def test_dirty_git_error_refuses_before_anything_is_launched(engine):
    from test_experiments_planner import commit_one_file

    commit_one_file(engine["project"])
    (engine["project"] / "train.py").write_text("print(2)\n")  # a change not committed
    with run.Experiment("dirty", dirty_git="error") as exp:
        exp.add(run.Script(inline="touch ran"), name="touch")
        with pytest.raises(run.DirtyGitError) as info:
            exp.run()
        exp._jobs.clear()  # nothing to warn about on leaving the block
    assert info.value.code == "DIRTY_GIT"
    assert run.Experiment.catalog() == [] and not (engine["project"] / "ran").exists()
