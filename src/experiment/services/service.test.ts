import { describe, expect, it } from "vitest";
import { ExperimentStateError } from "../../errors.js";
import { PlainServiceAdapter, Service, asService, isService } from "./service.js";
import type { ServiceState } from "./service.js";
import { WebService } from "./web-service.js";

class Probe extends Service {
  readonly id = "probe";
  calls: string[] = [];
  failStart = false;
  gate: Promise<void> = Promise.resolve();
  protected async onStart(): Promise<void> {
    this.calls.push("start");
    await this.gate;
    if (this.failStart) throw new Error("port taken");
  }
  protected onStop(): void {
    this.calls.push("stop");
  }
  crash(): void {
    this.markStopped();
  }
  forceRunning(): void {
    this.markRunning();
  }
}

function record(service: Service): string[] {
  const seen: string[] = [];
  service.addListener({
    serviceStateChanged: (s, previous: ServiceState) => seen.push(`${previous}->${s.state}`),
  });
  return seen;
}

describe("Service", () => {
  it("goes STOPPED → STARTING → RUNNING → STOPPING → STOPPED and tells its listeners", async () => {
    const probe = new Probe();
    const seen = record(probe);
    expect(probe.state).toBe("STOPPED");
    await probe.start();
    expect(probe.state).toBe("RUNNING");
    await probe.start(); // already running: nothing
    await probe.stop();
    await probe.stop(); // already stopped: nothing
    expect(seen).toEqual([
      "STOPPED->STARTING",
      "STARTING->RUNNING",
      "RUNNING->STOPPING",
      "STOPPING->STOPPED",
    ]);
    expect(probe.calls).toEqual(["start", "stop"]);
    expect(probe.description()).toBe("probe");
  });

  it("shares one start between concurrent callers, and a stop waits for a start under way", async () => {
    const probe = new Probe();
    let open!: () => void;
    probe.gate = new Promise((resolve) => (open = resolve));
    const a = probe.start();
    const b = probe.start();
    expect(probe.state).toBe("STARTING");
    const stopped = probe.stop();
    open();
    await Promise.all([a, b, stopped]);
    expect(probe.calls).toEqual(["start", "stop"]);
    expect(probe.state).toBe("STOPPED");
  });

  it("a failed start leaves it STOPPED and throws; it can be started again", async () => {
    const probe = new Probe();
    const seen = record(probe);
    probe.failStart = true;
    await expect(probe.start()).rejects.toThrow("port taken");
    expect(probe.state).toBe("STOPPED");
    expect(seen).toEqual(["STOPPED->STARTING", "STARTING->STOPPED"]);
    probe.failStart = false;
    await probe.start();
    expect(probe.state).toBe("RUNNING");
  });

  it("named transitions check the state they leave; a service may stop by itself", async () => {
    const probe = new Probe();
    expect(() => probe.forceRunning()).toThrow(ExperimentStateError);
    expect(() => probe.forceRunning()).toThrow(/cannot go from STOPPED to RUNNING \(only from STARTING\)/);
    await probe.start();
    probe.crash();
    expect(probe.state).toBe("STOPPED");
    await probe.stop(); // nothing left to stop
    expect(probe.calls).toEqual(["start"]);
  });

  it("a failing listener does not break the service; removed listeners hear nothing", async () => {
    const probe = new Probe();
    const seen: string[] = [];
    const quiet = { serviceStateChanged: () => seen.push("quiet") };
    probe.addListener({
      serviceStateChanged: () => {
        throw new Error("listener bug");
      },
    });
    probe.addListener(quiet);
    probe.removeListener(quiet);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    try {
      await probe.start();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(probe.state).toBe("RUNNING");
    expect(seen).toEqual([]);
    expect(warnings.some((w) => w.includes("listener bug"))).toBe(true);
  });

  it("wraps plain objects, and recognises services by brand (another copy of labrun)", async () => {
    const log: string[] = [];
    const plain = { id: "plain", start: () => void log.push("start"), stop: () => void log.push("stop") };
    const service = asService(plain);
    expect(service).toBeInstanceOf(PlainServiceAdapter);
    await service.start();
    await service.stop();
    expect(log).toEqual(["start", "stop"]);
    const probe = new Probe();
    expect(asService(probe)).toBe(probe);
    expect(isService(plain)).toBe(false);
    expect(isService({ [Symbol.for("labrun.service")]: true })).toBe(true);
  });
});

describe("WebService", () => {
  class Fixed extends WebService {
    readonly id = "web";
    protected async serve(): Promise<string> {
      return "http://127.0.0.1:9/";
    }
    protected async close(): Promise<void> {}
  }

  it("has a url from RUNNING until STOPPED, and listeners told of STOPPED see none", async () => {
    const web = new Fixed();
    const urls: (string | undefined)[] = [];
    web.addListener({ serviceStateChanged: () => urls.push(web.url) });
    expect(web.url).toBeUndefined();
    await web.start();
    expect(web.url).toBe("http://127.0.0.1:9/");
    expect(web.description()).toBe("web at http://127.0.0.1:9/");
    await web.stop();
    expect(web.url).toBeUndefined();
    expect(urls).toEqual([undefined, "http://127.0.0.1:9/", "http://127.0.0.1:9/", undefined]);
  });
});
