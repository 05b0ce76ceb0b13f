export { executorContract, processesWithMarker } from "./executor-contract.js";
export type { ExecutorContractOptions } from "./executor-contract.js";
