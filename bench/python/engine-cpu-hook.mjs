// Loaded into labrun's engine by the Python launch benchmark (NODE_OPTIONS=--import): on exit, writes the process's
// own CPU time (not its children's) to $LABRUN_BENCH_CPU_DIR/<pid>.json, so the bench can split the whole tree's
// CPU into planner, engine and jobs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.LABRUN_BENCH_CPU_DIR;
if (dir)
  process.on("exit", () => {
    const { user, system } = process.cpuUsage();
    const command = process.argv.slice(2, 4).join(" ");
    writeFileSync(
      join(dir, `${process.pid}.json`),
      JSON.stringify({ command, cpuMs: (user + system) / 1000 }),
    );
  });
