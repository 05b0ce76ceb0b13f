import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Experiment, Script, Token } from "../../src/index.js";
import type { JobStatus } from "../../src/index.js";
import { TokenSlots } from "../../src/scheduler/token.js";
import { ensureBuilt, runCli, startCli, tempWorkspace } from "../helpers.js";

const fixture = join(import.meta.dirname, "..", "fixtures", "experiments", "tokens.ts");
let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempWorkspace("tokens");
});
afterEach(() => ws.cleanup());

const ms = (iso: string | undefined) => Date.parse(iso ?? "");

async function jobsOf(id: string): Promise<JobStatus[]> {
  const exp = await Experiment.fromId(id, { baseDir: ws.root, cleanMode: true });
  return Object.values(await exp.status({ returnDict: true }));
}

describe("concurrency tokens", () => {
  it("limit running jobs across experiments launched by different processes in one workspace", async () => {
    const runs = ["first", "second"].map((title) =>
      startCli(["run", fixture], { workspace: ws.root, env: { TITLE: title } }),
    );
    expect(await Promise.all(runs.map((run) => run.exited))).toEqual([0, 0]);
    const jobs = (await Promise.all(Experiment.catalog(undefined, { baseDir: ws.root }).map(jobsOf))).flat();
    expect(jobs).toHaveLength(6);
    for (const job of jobs) expect(job).toMatchObject({ state: "COMPLETED", tokens: ["gpu×1"] });
    // At the moment each job started, how many held the token? Never more than its capacity, and it was used fully.
    const concurrency = jobs.map(
      (job) =>
        jobs.filter((o) => ms(o.startedAt) <= ms(job.startedAt) && ms(o.endedAt) > ms(job.startedAt)).length,
    );
    expect(Math.max(...concurrency)).toBe(2);
  });

  it("shows a job waiting for a token, with the reason, and gives units back when jobs end", async () => {
    const gpu = new Token("gpu", 1);
    const exp = new Experiment("wait", { baseDir: ws.root, cleanMode: true });
    exp.add(new Script({ inline: "sleep 0.8" }), { name: "holder", tokens: [gpu] });
    exp.add(new Script({ inline: "true" }), { name: "waiter", tokens: [gpu.dependency(1)] });
    const running = exp.run();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const during = runCli(["experiment", "status", exp.id, "--json"], { workspace: ws.root });
    const waiter = (JSON.parse(during.stdout) as { jobs: JobStatus[] }).jobs[1]!;
    expect(waiter).toMatchObject({ state: "WAITING", reason: "waiting for token gpu (1/1 in use)" });
    expect((await running).ok).toBe(true);
    expect(
      new TokenSlots(join(ws.root, "tokens")).acquire([gpu.dependency(1)], {
        jobDir: "/x",
        job: "x",
        experimentId: "x",
      }),
    ).toBeUndefined();
  });

  it("takes over a unit whose holder ended while its driver was dead", () => {
    const slots = new TokenSlots(join(ws.root, "tokens"));
    const ended = join(ws.root, "ended-job");
    mkdirSync(ended, { recursive: true });
    const need = new Token("gpu", 1).dependency(1);
    expect(slots.acquire([need], { jobDir: ended, job: "old", experimentId: "old" })).toBeUndefined();
    expect(slots.acquire([need], { jobDir: "/other", job: "new", experimentId: "new" })).toMatch(
      /waiting for token gpu/,
    );
    // The holder's job ends (its wrapper writes the exit code) and nobody gives the unit back.
    writeFileSync(join(ended, "ended_at"), `${Date.now() / 1000 + 1}\n`);
    writeFileSync(join(ended, "exit_code"), "0\n");
    expect(slots.acquire([need], { jobDir: "/other", job: "new", experimentId: "new" })).toBeUndefined();
  });

  it("rejects a bad capacity or a need larger than the token", () => {
    expect(() => new Token("gpu", 0)).toThrow(/capacity/);
    expect(() => new Token("gpu", 2).dependency(3)).toThrow(/1 to 2 units/);
  });
});
