// The TypeScript quickstart (`npm start` runs its Python twin, quickstart.py): prepare a dataset, train with three
// learning rates in parallel, then evaluate, as a dependency graph of real Python jobs on the local machine.
import { Experiment, LocalExecutor, Script } from "labrun";

const here = new URL("./quickstart/", import.meta.url).pathname;
// The jobs log their loss with labrun's Python client (`from labrun import Run`), the one in this repository.
const env = { PYTHONPATH: new URL("../clients/python", import.meta.url).pathname };

await using exp = new Experiment("quickstart", { executor: new LocalExecutor() });
const prepare = exp.add(new Script({ path: `${here}prepare.py`, env }), { name: "prepare" });
const trains = [0.01, 0.003, 0.001].map((lr) =>
  exp.add(new Script({ path: `${here}train.py`, args: [`--lr=${lr}`], env }), {
    name: `train-lr${lr}`,
    dependencies: [prepare],
  }),
);
exp.add(new Script({ path: `${here}evaluate.py`, env }), {
  name: "evaluate",
  dependencies: trains,
  tailLogs: true,
});

const result = await exp.run();
await exp.status();
console.log(`
Next, try:
  npx labrun experiment list
  npx labrun experiment logs ${result.id} evaluate
  npx labrun experiment status ${result.id} --json
  npx labrun ui                           # the web dashboard: http://127.0.0.1:4500/
  npx labrun run examples/quickstart.ts   # again, or write your own experiment file
Everything is in ${result.dir}`);
