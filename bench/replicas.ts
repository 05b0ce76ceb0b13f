// Replicas benchmark (`node --import tsx bench/replicas.ts [--report]`; `--quick` for a smoke run).
//
// Real `labrun serve` processes (dist/) on one PostgreSQL (a throw-away server with its durable defaults,
// test/store/postgres-setup.ts) and a real nginx (the configuration of docs/deploy.md, test/server/replicas-helpers.ts):
//   - ingest points/s with 8 and with 100 writers, each its own run, batches of BATCH points POSTed until
//     acknowledged (the SDKs' retry rule), for 1 replica direct, 1 replica behind nginx, 3 replicas behind nginx;
//   - SSE fan-out latency: a one-point batch written through replica A, seen by a live-update stream on replica C
//     (and on A itself, for comparison), p50/p99, idle and under 8 writers;
//   - kill -9 of one of 3 replicas behind nginx during a 100-writer load: points acknowledged, stored, lost,
//     stored twice, and the failures the writers saw.
// The machine has 2 cores shared with other work: each phase notes the machine's busy time and the part of it
// that is not ours (bench/machine-load.ts). Results: stdout and the "replicas" section of bench/RESULTS.md.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { openServerStore } from "../src/store/open-store.js";
import type { ServerStore } from "../src/store/store.js";
import { startTestPostgres } from "../test/store/postgres-setup.js";
import {
  failureCounts,
  runWriter,
  SseStream,
  startNginx,
  startReplicas,
  type Replica,
  type WriterTally,
} from "../test/server/replicas-helpers.js";
import { clockTicks, machineBusyMs } from "./machine-load.js";
import { writeResultsSection } from "./results-file.js";

const QUICK = process.argv.includes("--quick");
const SECONDS = QUICK ? 2 : 6;
const BATCH = 200;
const LATENCY_SAMPLES = QUICK ? 40 : 200;
const repo = fileURLToPath(new URL("..", import.meta.url));

/** CPU time (ms) of this process and all its descendants, ended ones included, from /proc. */
function treeCpuMs(): number {
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      // utime, stime, and the reaped children's cutime, cstime (a process that ended meanwhile counts there).
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      cpu.set(Number(entry), (ticks * 1000) / clockTicks);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const [pid, ms] of cpu) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        total += ms;
        break;
      }
    }
  }
  return total;
}

interface Load {
  readonly busyPct: number;
  readonly othersPct: number;
  readonly load1: number;
}

/** Runs `fn`, noting how busy the machine was (share of all cores) and how much of that was not ours. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; load: Load }> {
  const cores = cpus().length;
  const busy0 = machineBusyMs();
  const own0 = treeCpuMs();
  const t0 = performance.now();
  const value = await fn();
  const wall = performance.now() - t0;
  const busy = machineBusyMs() - busy0;
  const own = treeCpuMs() - own0;
  return {
    value,
    load: {
      busyPct: (100 * busy) / (wall * cores),
      othersPct: Math.max(0, (100 * (busy - own)) / (wall * cores)),
      load1: loadavg()[0]!,
    },
  };
}

const loadText = (l: Load) =>
  `machine ${l.busyPct.toFixed(0)} % busy, others ${l.othersPct.toFixed(0)} %, load ${l.load1.toFixed(1)}`;

async function newRuns(url: string, token: string, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${url}/api/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ prefix: `bench/vision/${tag}/w${i}` }),
    });
    ids.push(((await response.json()) as { run: { id: string } }).run.id);
  }
  return ids;
}

async function ingest(url: string, token: string, writers: number, tag: string) {
  const runIds = await newRuns(url, token, writers, tag);
  let stop = false;
  const { value, load } = await measured(async () => {
    const t0 = performance.now();
    const all = runIds.map((runId) => runWriter({ url, token, runId, points: BATCH, stop: () => stop }));
    await sleep(SECONDS * 1000);
    stop = true;
    const tallies = await Promise.all(all);
    return { tallies, seconds: (performance.now() - t0) / 1000 };
  });
  const points = value.tallies.reduce((n, t) => n + t.acked, 0);
  return { pointsPerSecond: points / value.seconds, load };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** One-point batches through `writeTo`, each timed until it shows on the streams of `readers`. */
async function fanOut(writeTo: Replica, readers: readonly Replica[], token: string, tag: string) {
  const [runId] = await newRuns(writeTo.url, token, 1, tag);
  const streams = await Promise.all(
    readers.map((r) => SseStream.open(`${r.url}/api/runs/${runId}/events`, token)),
  );
  for (const s of streams) await s.waitFor("status", (e) => e.some((x) => x.event === "status"));
  const latencies = readers.map(() => [] as number[]);
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const sentAt = performance.now();
    await fetch(`${writeTo.url}/api/runs/${runId}/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        clientId: "latency",
        seq: i + 1,
        metrics: [{ stream: "train", points: [{ fields: { step: i }, ts: 1_700_000_000 + i }] }],
      }),
    });
    for (const [k, s] of streams.entries()) {
      await s.waitFor(`point ${i}`, (events) =>
        events.some((e) => e.event === "metrics" && e.data.points[0].fields.step === i),
      );
      const event = s.events.find((e) => e.event === "metrics" && e.data.points[0].fields.step === i)!;
      latencies[k]!.push(event.at - sentAt);
    }
    await sleep(10);
  }
  for (const s of streams) s.close();
  return latencies.map((l) => ({ p50: percentile(l, 50), p99: percentile(l, 99) }));
}

/** Stored steps of each writer's run against what it was acknowledged. */
async function audit(store: ServerStore, tallies: readonly WriterTally[]) {
  let stored = 0;
  let lost = 0;
  let duplicates = 0;
  for (const t of tallies) {
    const series = await store.readMetrics(t.runId, "train", { fields: ["step"] });
    const steps = series.points.map((p) => p.fields.step as number);
    const unique = new Set(steps);
    stored += steps.length;
    duplicates += steps.length - unique.size;
    for (let step = 0; step < t.acked; step++) if (!unique.has(step)) lost++;
  }
  return { stored, lost, duplicates };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "labrun-bench-replicas-"));
  const pg = await startTestPostgres();
  const cleanups: (() => Promise<void>)[] = [
    async () => pg.stop(),
    async () => rmSync(dir, { recursive: true, force: true }),
  ];
  try {
    const db = await pg.createDatabase();
    const store = await openServerStore(db);
    cleanups.unshift(() => store.close());
    const token = (await store.createToken({ project: "*" })).secret;
    const replicas = await startReplicas(db, 3, dir);
    cleanups.unshift(async () => void (await Promise.all(replicas.map((r) => r.stop()))));
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const three = await startNginx({ upstreams: replicas.map((r) => r.port) });
    const one = await startNginx({ upstreams: [a.port] });
    cleanups.unshift(
      () => three.stop(),
      () => one.stop(),
    );

    const rows: string[] = [];
    for (const writers of [8, 100]) {
      for (const [label, url] of [
        ["1 replica, direct", a.url],
        ["1 replica behind nginx", one.url],
        ["3 replicas behind nginx", three.url],
      ] as const) {
        const r = await ingest(url, token, writers, `ingest-${writers}-${label.replace(/\W+/g, "-")}`);
        const line = `| ${label} | ${writers} | ${Math.round(r.pointsPerSecond).toLocaleString("en-US")} | ${loadText(r.load)} |`;
        console.log(line);
        rows.push(line);
      }
    }

    const idle = await measured(() => fanOut(a, [c, a], token, "latency-idle"));
    let stop = false;
    const loadRuns = await newRuns(three.url, token, 8, "latency-load");
    const background = loadRuns.map((runId) =>
      runWriter({ url: three.url, token, runId, points: BATCH, stop: () => stop }),
    );
    const loaded = await measured(() => fanOut(a, [c, a], token, "latency-loaded"));
    stop = true;
    await Promise.all(background);
    const ms = (x: number) => x.toFixed(1);
    const latencyRows = [
      `| idle | ${ms(idle.value[0]!.p50)} / ${ms(idle.value[0]!.p99)} | ${ms(idle.value[1]!.p50)} / ${ms(idle.value[1]!.p99)} | ${loadText(idle.load)} |`,
      `| 8 writers through nginx | ${ms(loaded.value[0]!.p50)} / ${ms(loaded.value[0]!.p99)} | ${ms(loaded.value[1]!.p50)} / ${ms(loaded.value[1]!.p99)} | ${loadText(loaded.load)} |`,
    ];
    latencyRows.forEach((l) => console.log(l));

    // kill -9 of one replica during 100 writers through nginx: with nginx re-sending the dead replica's
    // batches (non_idempotent on the batches location), then without (the writers retry).
    const killLines: string[] = [];
    const spare = (await startReplicas(db, 1, dir))[0]!;
    cleanups.unshift(() => spare.stop());
    const noResend = await startNginx({ upstreams: [a.port, c.port, spare.port], resendBatches: false });
    cleanups.unshift(() => noResend.stop());
    for (const [mode, url, victim] of [
      ["nginx re-sends", three.url, b],
      ["writers re-send", noResend.url, spare],
    ] as const) {
      const killRuns = await newRuns(url, token, 100, `kill9-${mode.replace(/\W+/g, "-")}`);
      let stopKill = false;
      const kill = await measured(async () => {
        const all = killRuns.map((runId) =>
          runWriter({ url, token, runId, points: BATCH, stop: () => stopKill }),
        );
        await sleep((SECONDS / 2) * 1000);
        victim.child.kill("SIGKILL");
        const killedAt = performance.now();
        await sleep((SECONDS / 2) * 1000);
        stopKill = true;
        const tallies = await Promise.all(all);
        return { tallies, killedAt };
      });
      const tallies = kill.value.tallies;
      const acked = tallies.reduce((n, t) => n + t.acked, 0);
      const audited = await audit(store, tallies);
      const carriedOn = tallies.filter((t) => t.ackTimes.some((at) => at > kill.value.killedAt)).length;
      const failureText =
        Object.entries(failureCounts(tallies))
          .map(([k, n]) => `${k} × ${n}`)
          .join(", ") || "none";
      const line = `| ${mode} | ${acked.toLocaleString("en-US")} | ${audited.stored.toLocaleString("en-US")} | ${audited.lost} | ${audited.duplicates} | ${carriedOn} / 100 | ${failureText} | ${loadText(kill.load)} |`;
      console.log(line);
      killLines.push(line);
    }

    const markdown = `## Replicas: several \`labrun serve\` on one PostgreSQL, behind nginx

\`node --import tsx bench/replicas.ts --report\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores shared with
other work: the load beside each figure is the machine's busy share of all cores during the phase, and the part
of it that was not this benchmark's processes). Real \`labrun serve\` processes (dist/) on one PostgreSQL ${"15"} with
its durable defaults (fsync, synchronous_commit on), nginx 1.22 from Debian with the configuration of
docs/deploy.md, all on this machine. Writers POST batches of ${BATCH} points to their own run until acknowledged
(the SDKs' rule: same \`(clientId, seq)\`, retried on network errors and 5xx); ${SECONDS} s per phase.

Ingest, acknowledged points/s:

| servers | writers | points/s | load |
| ------- | ------- | -------- | ---- |
${rows.join("\n")}

On 2 cores the replicas, nginx, PostgreSQL and the writers share the same CPUs: more replicas cannot add
throughput here, they add processes. What they add is availability (below) and room on a machine with more cores.
Other work took most of both cores during this run ("others" above): read these as a floor, not as what the
set-up gives alone (the "server" section measures one replica with 10,000-point batches).

SSE fan-out latency (one-point batch POSTed to replica A → its \`metrics\` event on a stream of replica C, through
PostgreSQL NOTIFY; and on A's own stream, delivered in process), ms, p50 / p99 over ${LATENCY_SAMPLES} batches:

| while | A → C | A → A | load |
| ----- | ----- | ----- | ---- |
${latencyRows.join("\n")}

A → A includes the POST's own round trip (the event is published once the batch committed): A → C minus A → A is
the NOTIFY hop and the read on C.

kill -9 of one of 3 replicas behind nginx, ${SECONDS / 2} s into a ${SECONDS} s load of 100 writers:

| unanswered batches | acknowledged points | stored | lost | stored twice | writers acknowledged after the kill | failures the writers saw (then retried) | load |
| ------------------ | ------------------- | ------ | ---- | ------------ | ----------------------------------- | --------------------------------------- | ---- |
${killLines.join("\n")}
`;
    writeResultsSection(join(repo, "bench", "RESULTS.md"), "replicas", markdown);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((e) => console.error(e));
  }
}

await main();
