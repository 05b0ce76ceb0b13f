import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { spawn } from "node:child_process";
import { labrunBin, runCli, tempWorkspace, waitFor } from "../helpers.js";
import { eventOf, runPlan, workspaceIn } from "./plan-helpers.js";

// Real engines, real Python service processes, real HTTP: room for a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

let scratch: ReturnType<typeof tempWorkspace>;
let project: string;
beforeEach(() => {
  scratch = tempWorkspace("py-services");
  project = join(scratch.root, "project");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "services_lib.py"), servicesPy);
});
afterEach(() => scratch.cleanup());

// Services as an experimaestro user writes them: a WebService with `_serve(running)`, a plain Service.
const servicesPy = `
import http.server, os, threading, time
from labrun.services import Service, WebService

class Hello(WebService):
    id = "hello"
    def __init__(self, greeting="hello", log=None, serve_for=None):
        super().__init__()
        self.greeting, self.log, self.serve_for = greeting, log, serve_for
    def description(self):
        return f"says {self.greeting}"
    def _serve(self, running):
        greeting = self.greeting
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.end_headers()
                self.wfile.write(greeting.encode())
            def log_message(self, *args):
                pass
        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        if self.log:
            open(self.log, "a").write(f"started {os.getpid()}\\n")
        running.set()
        if self.serve_for is not None:  # a service that ends by itself
            threading.Timer(self.serve_for, self.server.shutdown).start()
        self.server.serve_forever()
    def close(self):
        if self.log:
            open(self.log, "a").write("stopped\\n")
        self.server.shutdown()

class Broken(Service):
    id = "broken"
    def start(self):
        raise RuntimeError("port 1 is taken")
`;

const experimentPy = `
from labrun.experiments import ConfigurationBase, ExperimentHelper, JobFilesService, configuration
from labrun import Script
from services_lib import Hello

@configuration
class Configuration(ConfigurationBase):
    greeting: str = "hello"
    log: str = ""

def run(helper: ExperimentHelper, cfg: Configuration) -> None:
    helper.add_service(Hello(greeting=cfg.greeting, log=cfg.log))
    helper.add_service(JobFilesService())
    helper.experiment.add(Script(inline="echo job done"), name="job")
`;

/** The CLI in a process group of its own, as in a terminal: Ctrl-C (`ctrlC`) goes to the whole group. */
function startInTerminal(args: readonly string[], workspace: string, cwd: string) {
  const child = spawn(process.execPath, [labrunBin, ...args], {
    cwd,
    env: { ...process.env, LABRUN_HOME: workspace, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { exited, output: () => ({ stdout, stderr }), ctrlC: () => process.kill(-child.pid!, "SIGINT") };
}

interface StatusJson {
  jobs: { name: string; state: string }[];
  services: { id: string; state: string; url?: string; description: string; reason?: string }[];
}

const status = (ws: string, id: string): StatusJson =>
  JSON.parse(runCli(["experiment", "status", id, "--json"], { workspace: ws }).stdout) as StatusJson;

describe("services declared in Python", () => {
  it("run-experiment: helper.add_service starts them before the jobs, status shows their URLs, Ctrl-C stops them", async () => {
    writeFileSync(join(project, "experiment.py"), experimentPy);
    writeFileSync(join(project, "svc.yaml"), "id: svc\nfile: experiment\ngreeting: bonjour\n");
    const log = join(scratch.root, "hello.log");
    const ws = workspaceIn(scratch.root);
    const run = startInTerminal(["run-experiment", "svc.yaml", "-c", `log=${log}`], ws, project);
    await waitFor("the jobs to end", () => run.output().stderr.includes("service(s) still running"), 90_000);
    const id = /Experiment (svc_\S+) COMPLETED/.exec(run.output().stderr)![1]!;
    const shown = status(ws, id);
    expect(shown.jobs.map((job) => [job.name, job.state])).toEqual([["job", "COMPLETED"]]);
    expect(shown.services.map((s) => [s.id, s.state])).toEqual([
      ["hello", "RUNNING"],
      ["job-files", "RUNNING"],
    ]);
    const hello = shown.services[0]!;
    expect(hello.description).toContain("says bonjour");
    // The service was rebuilt in its process from its constructor arguments, and answers.
    expect(await (await fetch(hello.url!)).text()).toBe("bonjour");
    const files = await (await fetch(`${shown.services[1]!.url!}?format=json`)).text();
    expect(files).toContain("job");
    const table = runCli(["experiment", "status", id], { workspace: ws }).stdout;
    expect(table).toMatch(/hello\s+RUNNING\s+http:\/\/127\.0\.0\.1:\d+\//);

    run.ctrlC();
    expect(await run.exited).toBe(0);
    expect(run.output().stderr).toContain("Stopped 2 service(s).");
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines[0]).toMatch(/^started \d+$/);
    expect(lines[1]).toBe("stopped"); // stop() ran in the service's process
    const pid = Number(lines[0]!.split(" ")[1]);
    expect(() => process.kill(pid, 0)).toThrow(); // and that process has ended
    expect(status(ws, id).services.map((s) => [s.id, s.state, s.url])).toEqual([
      ["hello", "STOPPED", undefined],
      ["job-files", "STOPPED", undefined],
    ]);
  });

  it("DRY_RUN lists the jobs and starts no service", () => {
    writeFileSync(join(project, "experiment.py"), experimentPy);
    writeFileSync(join(project, "svc.yaml"), "id: svc\nfile: experiment\n");
    const log = join(scratch.root, "hello.log");
    const result = runCli(["run-experiment", "svc.yaml", "--run-mode", "DRY_RUN", "-c", `log=${log}`], {
      workspace: workspaceIn(scratch.root),
      cwd: project,
    });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toContain("job");
    expect(existsSync(log)).toBe(false);
  });

  it("plan run (version 2): a service that ends by itself ends the wait; services.json is written", () => {
    const log = join(scratch.root, "hello.log");
    const plan = {
      labrunPlan: 2,
      title: "svc-plan",
      cwd: project,
      jobs: [{ name: "job", task: { kind: "script", inline: "echo hi" } }],
      services: [
        {
          kind: "python",
          id: "hello",
          module: "services_lib",
          qualname: "Hello",
          state: { greeting: "hi", log, serve_for: 2 },
        },
      ],
    };
    const result = runPlan(plan, scratch.root);
    expect(result.code).toBe(0);
    const planned = eventOf(result.events, "planned");
    expect(planned.labrunPlan).toBe(2);
    expect(eventOf(result.events, "result").state).toBe("COMPLETED");
    expect(result.stderr).toMatch(/Service hello is running at http:\/\/127\.0\.0\.1:\d+\//);
    const shown = status(workspaceIn(scratch.root), planned.id as string);
    expect(shown.services).toEqual([{ id: "hello", description: "says hi", state: "STOPPED" }]);
    expect(readFileSync(log, "utf8")).toMatch(/^started \d+\nstopped\n$/);
  });

  it("a service that cannot start: SERVICE_START with its error, no job launched", () => {
    const plan = {
      labrunPlan: 2,
      title: "svc-broken",
      cwd: project,
      jobs: [{ name: "job", task: { kind: "script", inline: "echo hi" } }],
      services: [{ kind: "python", id: "broken", module: "services_lib", qualname: "Broken" }],
    };
    const result = runPlan(plan, scratch.root);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("RuntimeError: port 1 is taken"); // its traceback
    const error = eventOf(result.events, "error");
    expect(error.code).toBe("SERVICE_START");
    expect(error.message).toContain("port 1 is taken");
    expect(result.events.some((event) => event.event === "planned")).toBe(false);
    expect(existsSync(join(workspaceIn(scratch.root), "experiments", "svc-broken"))).toBe(false);
  });

  it("refuses services in a version-1 plan and with detach, before anything runs", () => {
    const base = {
      title: "svc-bad",
      cwd: project,
      jobs: [{ name: "job", task: { kind: "script", inline: "echo hi" } }],
      services: [{ kind: "python", id: "hello", module: "services_lib", qualname: "Hello" }],
    };
    const v1 = runPlan({ labrunPlan: 1, ...base }, scratch.root);
    expect(v1.code).toBe(1);
    expect(eventOf(v1.events, "error").message).toContain("services need plan version 2");
    const detached = runPlan({ labrunPlan: 2, ...base, run: { detach: true } }, scratch.root);
    expect(detached.code).toBe(1);
    expect(eventOf(detached.events, "error").message).toContain("ends when the launch detaches");
    const unknown = runPlan({ labrunPlan: 3, ...base }, scratch.root);
    expect(eventOf(unknown.events, "error").code).toBe("PLAN_VERSION");
    expect(existsSync(join(workspaceIn(scratch.root), "experiments"))).toBe(false);
  });

  it("labrun run x.py: run.Experiment.add_service, stopped by Ctrl-C after the jobs; the driver exits 0", async () => {
    const log = join(scratch.root, "hello.log");
    writeFileSync(
      join(project, "nemo.py"),
      `
import labrun as run
from services_lib import Hello

def step(x):
    print("step", x)

if __name__ == "__main__":
    with run.Experiment("nemo-svc") as exp:
        exp.add_service(Hello(greeting="salut", log=${JSON.stringify(log)}))
        exp.add(run.Partial(step, x=1), name="s")
        exp.run()
    print("driver done", exp.result["state"], flush=True)
`,
    );
    const ws = workspaceIn(scratch.root);
    const run = startInTerminal(["run", "nemo.py"], ws, project);
    await waitFor("the jobs to end", () => run.output().stderr.includes("service(s) still running"), 90_000);
    const id = /Experiment (nemo-svc_\S+) COMPLETED/.exec(run.output().stderr)![1]!;
    const hello = status(ws, id).services[0]!;
    expect(hello.state).toBe("RUNNING");
    expect(await (await fetch(hello.url!)).text()).toBe("salut");
    run.ctrlC();
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toContain("driver done COMPLETED");
    expect(readFileSync(log, "utf8")).toMatch(/stopped\n$/);
    expect(status(ws, id).services[0]!.state).toBe("STOPPED");
  });
});
