#!/usr/bin/env python3
"""Print a markdown table from results-nemo_run.jsonl (median over runs that succeeded)."""
import json
import os
import statistics
import sys
from collections import defaultdict

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "results-nemo_run.jsonl"
)
groups = defaultdict(list)
for line in open(path):
    line = line.strip()
    if line:
        d = json.loads(line)
        groups[(d["mode"], d.get("threadpool_workers", 16), d["jobs"])].append(d)

print("| shape | N | runs ok / total | total s (median, min–max) | per job ms (median) "
      "| bare spawn ms/job | overhead ms/job over bare (median) | failures seen |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for (mode, workers, n), runs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][2])):
    ok = [r for r in runs if not r["error"]]
    errs = sorted({r["error"].split(":")[0] + ": " + r["error"].split(":", 1)[1].strip()[:45]
                   for r in runs if r["error"]})
    shape = "fan-out/fan-in DAG" if mode == "dag" else "flat (no deps)"
    if ok:
        tot = [r["total_s"] for r in ok]
        cell = f"{statistics.median(tot):.2f} ({min(tot):.2f}–{max(tot):.2f})"
        pj = f"{statistics.median(r['per_job_ms'] for r in ok):.1f}"
        bare = f"{statistics.median(r['bare_per_job_ms'] for r in ok):.2f}"
        ov = f"{statistics.median(r['overhead_per_job_ms'] for r in ok):.1f}"
    else:
        cell = pj = bare = ov = "—"
    print(f"| {shape} | {n} | {len(ok)}/{len(runs)} | {cell} | {pj} | {bare} | {ov} | "
          f"{'; '.join(errs) or '—'} |")
