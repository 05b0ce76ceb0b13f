import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe } from "vitest";
import type { AuthStore, ServerStore, Store } from "../store/store.js";
import { filesAndLogsCases } from "./store-contract/files-logs.js";
import { metricCases } from "./store-contract/metrics.js";
import { runCases } from "./store-contract/runs.js";
import { searchCases } from "./store-contract/search.js";
import { tokenCases } from "./store-contract/tokens.js";
import type { ContractContext } from "./store-contract/context.js";

export interface StoreContractOptions {
  /** Name shown in the test titles. */
  readonly name: string;
  /**
   * A store to test, as `openStore` returns it (validated). Called once for the suite; every case works
   * under its own random owner, so the store may hold other data.
   */
  readonly create: () => Store | Promise<Store>;
  /** Cases this backend cannot pass, each with the reason (e.g. `tokens: "an HTTP store has no tokens"`). */
  readonly skip?: {
    readonly tokens?: string;
    readonly files?: string;
    readonly concurrency?: string;
  };
}

/**
 * The behaviour every Store must have, run against a real backend (SQLite file, PostgreSQL server, labrun
 * server over HTTP). Call it from a test file:
 *
 * @example
 * storeContract({ name: "sqlite", create: () => openServerStore(`sqlite:${dir}/contract.db`) });
 */
export function storeContract(options: StoreContractOptions): void {
  describe(`store contract: ${options.name}`, () => {
    let store: Store | undefined;
    beforeAll(async () => {
      store = await options.create();
    });
    afterAll(async () => {
      await store?.close();
    });
    const context: ContractContext = {
      store: () => {
        if (!store) throw new Error("store not created");
        return store;
      },
      auth: () => store as unknown as AuthStore & ServerStore,
      owner: () => `u${randomUUID().slice(0, 8)}`,
      skip: options.skip ?? {},
    };
    runCases(context);
    metricCases(context);
    filesAndLogsCases(context);
    searchCases(context);
    tokenCases(context);
  });
}
