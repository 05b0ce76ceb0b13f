import { executorContract } from "../../testing/index.js";
import { DirectExecutor } from "./direct-executor.js";

executorContract({
  name: "direct",
  create: () => new DirectExecutor({ cancelGraceMs: 1000 }),
  skip: { reattach: "direct jobs run inside the driver's process and end with it" },
});
