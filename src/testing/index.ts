export { executorContract, processesWithMarker } from "./executor-contract.js";
export type { ExecutorContractOptions } from "./executor-contract.js";
export { storeContract } from "./store-contract.js";
export type { StoreContractOptions } from "./store-contract.js";
