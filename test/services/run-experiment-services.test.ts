import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LocalExecutor, runExperiment } from "../../src/index.js";
import type { ServiceStatus } from "../../src/index.js";
import { ensureBuilt, readJson, runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";

const fixtures = join(import.meta.dirname, "..", "fixtures", "services");
let ws: ReturnType<typeof tempWorkspace>;
let scratch: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("services");
  scratch = tempWorkspace("services-files");
});
afterEach(() => {
  ws.cleanup();
  scratch.cleanup();
});

const startXp = (...args: string[]) =>
  startCli(["run-experiment", ...args, "experiment.yaml"], { workspace: ws.root, cwd: fixtures });

interface StatusJson {
  id: string;
  jobs: { name: string; state: string }[];
  services: ServiceStatus[];
}
const statusJson = () =>
  JSON.parse(
    runCli(["experiment", "status", "services-test", "--json"], { workspace: ws.root }).stdout,
  ) as StatusJson;

function experimentDir(): string {
  const root = join(ws.root, "experiments", "services-test");
  return join(root, readdirSync(root)[0]!);
}

/** Waits for the prompt printed once the jobs have ended, and returns the browser's URL. */
async function servicesUp(xp: ReturnType<typeof startXp>): Promise<string> {
  await waitFor("the services prompt", () =>
    xp.output().stderr.includes("Press Ctrl-C to stop them and exit."),
  );
  return /job-files {2}(http:\/\/127\.0\.0\.1:\d+\/)/.exec(xp.output().stderr)![1]!;
}

describe("services through labrun run-experiment", () => {
  it("NORMAL keeps the experiment up while the file browser runs, shows it in status, and stops it on Ctrl-C", async () => {
    const listenerLog = join(scratch.root, "listener.log");
    const xp = startXp("-c", `listener_log=${listenerLog}`);
    try {
      const url = await servicesUp(xp);
      const { stderr } = xp.output();
      expect(stderr).toContain(`Service job-files is running at ${url}.`);
      expect(stderr).toMatch(/Experiment services-test_\S+ COMPLETED: 1\/1 job\(s\) completed/);
      expect(stderr).toContain(`The jobs have ended; 1 service(s) still running:\n  job-files  ${url}\n`);

      // The job's files, over HTTP, while the experiment is up.
      expect(await (await fetch(`${url}jobs/make-files/notes.txt?raw`)).text()).toBe(
        "line 1\n<b>not bold</b>\n",
      );
      expect(await (await fetch(`${url}jobs/make-files/stdout.log?raw`)).text()).toBe("hello from the job\n");
      const listing = (await (await fetch(`${url}jobs/make-files/out/?format=json`)).json()) as {
        entries: { name: string }[];
      };
      expect(listing.entries.map((e) => e.name)).toEqual(["sub dir", "data.bin"]);
      expect((await fetch(`${url}jobs/make-files/escape/passwd?raw`)).status).toBe(403);

      const human = runCli(["experiment", "status", "services-test"], { workspace: ws.root }).stdout;
      expect(human).toMatch(/Services\n\nService\s+Status\s+URL\s+Description\n/);
      expect(human).toMatch(
        new RegExp(
          `job-files\\s+RUNNING\\s+${url.replace(/[.]/g, "\\.")}\\s+Files of the jobs of services-test_`,
        ),
      );
      expect(statusJson().services).toEqual([
        {
          id: "job-files",
          description: expect.stringMatching(/^Files of the jobs of services-test_/),
          state: "RUNNING",
          url,
        },
      ]);

      xp.child.kill("SIGINT");
      expect(await xp.exited).toBe(0);
      expect(xp.output().stderr).toMatch(/Press Ctrl-C to stop them and exit\.\nStopped 1 service\(s\)\.\n$/);
      expect(statusJson().services).toEqual([
        { id: "job-files", description: expect.any(String), state: "STOPPED" },
      ]);
      await expect(fetch(url)).rejects.toThrow();
      expect(readFileSync(listenerLog, "utf8")).toBe(
        "STOPPED->STARTING\nSTARTING->RUNNING\nRUNNING->STOPPING\nSTOPPING->STOPPED\n",
      );
      expect(readJson(join(experimentDir(), "services.json"))).toMatchObject({
        version: 1,
        pid: xp.child.pid,
      });
    } finally {
      xp.child.kill("SIGKILL");
    }
  });

  it("status reports services of a driver that was killed as STOPPED, saying why", async () => {
    const xp = startXp();
    try {
      await servicesUp(xp);
    } finally {
      xp.child.kill("SIGKILL");
    }
    await xp.exited;
    expect(readJson(join(experimentDir(), "services.json"))).toMatchObject({
      services: [{ id: "job-files", state: "RUNNING" }],
    });
    expect(statusJson().services).toEqual([
      {
        id: "job-files",
        description: expect.any(String),
        state: "STOPPED",
        reason: `its process ${xp.child.pid} has ended`,
      },
    ]);
    const human = runCli(["experiment", "status", "services-test"], { workspace: ws.root }).stdout;
    expect(human).toMatch(/job-files\s+STOPPED \(its process \d+ has ended\)\s+-\s+Files/);
  });

  it("a Ctrl-C while the jobs run also means: don't keep the services up afterwards", async () => {
    const xp = startXp("-c", "job_seconds=30");
    try {
      await waitFor("the job to run", () => xp.output().stderr.includes("make-files: RUNNING"));
      xp.child.kill("SIGINT");
      expect(await xp.exited).toBe(1); // the job was cancelled
      expect(xp.output().stderr).toContain("cancelled by Ctrl-C");
      expect(xp.output().stderr).not.toContain("Press Ctrl-C to stop them");
      expect(statusJson().services[0]!.state).toBe("STOPPED");
    } finally {
      xp.child.kill("SIGKILL");
    }
  });

  it("a service that fails to start stops the command before the jobs are launched", () => {
    const result = runCli(["run-experiment", "-c", "failing_service=true", "experiment.yaml"], {
      workspace: ws.root,
      cwd: fixtures,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "error [SERVICE_START] Service broken could not start: port 6006 is taken.",
    );
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toContain("warning: Service broken");
    expect(result.stderr).not.toContain("make-files: RUNNING");
    expect(existsSync(join(ws.root, "experiments", "services-test"))).toBe(false);
  });

  it("DRY_RUN and GENERATE start no service and wait for nothing", () => {
    for (const mode of ["DRY_RUN", "GENERATE"]) {
      const result = runCli(["run-experiment", "--run-mode", mode, "experiment.yaml"], {
        workspace: ws.root,
        cwd: fixtures,
      });
      expect(result.code, mode).toBe(0);
      expect(result.stderr, mode).not.toContain("Service job-files");
    }
    expect(existsSync(join(ws.root, "experiments", "services-test"))).toBe(false);
  });
});

describe("services through runExperiment (API)", () => {
  const run = (extra: Partial<Parameters<typeof runExperiment>[0]>) =>
    runExperiment({
      workspace: ws.root,
      cleanMode: true,
      executor: new LocalExecutor(),
      yamlFile: join(fixtures, "experiment.yaml"),
      warn: () => undefined,
      ...extra,
    });

  it("waitForServices: an AbortSignal keeps the services up after the jobs until it aborts", async () => {
    const controller = new AbortController();
    let settled = false;
    const running = run({ waitForServices: controller.signal }).finally(() => (settled = true));
    const services = () =>
      readJson<{ services: ServiceStatus[] }>(join(experimentDir(), "services.json")).services;
    const url = await waitFor("the browser to serve the finished job", () => {
      if (!existsSync(join(ws.root, "experiments"))) return undefined;
      const [browser] = services();
      return browser?.state === "RUNNING" && statusJson().jobs[0]!.state === "COMPLETED"
        ? browser.url
        : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    expect((await fetch(`${url}jobs/make-files/notes.txt?raw`)).status).toBe(200);
    controller.abort();
    const result = await running;
    expect(result.ok).toBe(true);
    expect(services()).toEqual([{ id: "job-files", description: expect.any(String), state: "STOPPED" }]);
  });

  it("the wait ends by itself when every service has stopped", async () => {
    const controller = new AbortController();
    const result = await run({ waitForServices: controller.signal, overrides: ["stop_after_ms=1500"] });
    expect(result.ok).toBe(true);
    expect(controller.signal.aborted).toBe(false);
    expect(
      readJson<{ services: ServiceStatus[] }>(join(result.dir!, "services.json")).services[0]!.state,
    ).toBe("STOPPED");
  });

  it("without waitForServices, services are stopped once the jobs have ended", async () => {
    const result = await run({});
    expect(readJson<{ services: ServiceStatus[] }>(join(result.dir!, "services.json")).services).toEqual([
      { id: "job-files", description: expect.any(String), state: "STOPPED" },
    ]);
  });
});
