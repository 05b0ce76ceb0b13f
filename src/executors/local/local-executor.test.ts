import { executorContract } from "../../testing/index.js";
import { LocalExecutor } from "./local-executor.js";

executorContract({ name: "local", create: () => new LocalExecutor({ cancelGraceMs: 1000 }) });
