import { StoreUriError } from "../../errors.js";
import type { ServerStore } from "../store.js";

/** Placeholder until the PostgreSQL backend lands (step 3 of issue 6). */
export class PostgresStore {
  static async open(uri: string): Promise<ServerStore> {
    throw new StoreUriError(uri, "the PostgreSQL store is not built yet");
  }
}
