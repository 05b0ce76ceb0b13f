import { StoreUriError } from "../errors.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import type { ServerStore } from "../store/store.js";
import { ValidatingServerStore } from "../store/validating-store.js";

/** The server's database from `sqlite:PATH` or `postgres://…`, with validation in front of it. */
export async function openServerDatabase(uri: string): Promise<ServerStore> {
  if (uri.startsWith("sqlite:")) {
    return new ValidatingServerStore(await SqliteStore.open(uri.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "")));
  }
  throw new StoreUriError(uri, "the server needs a sqlite: or postgres:// database");
}
