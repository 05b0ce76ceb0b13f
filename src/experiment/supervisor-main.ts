// Entry of the background supervisor: `node supervisor-main.js <experiment dir>`.
import { Experiment } from "./experiment.js";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: supervisor-main <experiment dir>");
  process.exit(2);
}
try {
  const experiment = Experiment.fromDir(dir);
  const result = await experiment.resume({ asSupervisor: true });
  console.log(`${new Date().toISOString()} experiment ${result.id} ended ${result.state}`);
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
}
