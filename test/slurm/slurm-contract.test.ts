import { executorContract } from "../../src/testing/index.js";
import { LocalTunnel } from "../../src/executors/tunnel/local-tunnel.js";
import { SlurmExecutor } from "../../src/executors/slurm/slurm-executor.js";
import { slurmEnabled } from "./helpers.js";

// The executor contract on the real local cluster, with Slurm's commands run on this machine.
if (slurmEnabled)
  executorContract({
    name: "slurm (LocalTunnel)",
    create: () => new SlurmExecutor({ partition: "debug", time: "5", tunnel: new LocalTunnel() }),
    jobTimeoutMs: 40_000,
  });
