import { openServerStore } from "../store/open-store.js";
import type { ServerStore } from "../store/store.js";

/** The server's database from `sqlite:PATH` or `postgres://…`, validated, with its tokens. */
export function openServerDatabase(uri: string): Promise<ServerStore> {
  return openServerStore(uri);
}
