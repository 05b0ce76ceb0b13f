import { sync } from "../../tracking/sync/sync.js";
import { printJson } from "../output.js";

export interface SyncCommandOptions {
  readonly prefix?: string | undefined;
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  readonly root?: string | undefined;
  readonly runs?: boolean;
  readonly buffer?: boolean;
}

/** `labrun sync`: exit code 0 when everything was sent, 1 when something failed, was refused or is left. */
export async function syncCommand(
  options: SyncCommandOptions,
  global: { readonly workspace?: string; readonly json?: boolean },
): Promise<number> {
  const result = await sync({
    ...(options.prefix ? { prefix: options.prefix } : {}),
    ...(options.url ? { url: options.url } : {}),
    ...(options.token ? { token: options.token } : {}),
    ...(options.root ? { root: options.root } : {}),
    ...(global.workspace ? { workspace: global.workspace } : {}),
    runs: options.runs !== false,
    buffer: options.buffer !== false,
    ...(global.json ? {} : { progress: (line: string) => console.log(line) }),
  });
  if (global.json) printJson(result);
  else {
    console.log(
      `Synced ${result.runs.length} run(s) to ${result.url ?? "their servers"}` +
        (result.failed.length ? `; ${result.failed.length} failed` : "") +
        (result.buffer.left && result.buffer.unauthorized
          ? `; ${result.buffer.left} buffered item(s) kept: the server refused the token (${result.buffer.unauthorized}); ` +
            "run labrun sync again with a valid one (--token or LABRUN_TOKEN)"
          : result.buffer.left
            ? `; ${result.buffer.left} buffered item(s) left (server unreachable): run labrun sync again`
            : "") +
        (result.buffer.sent || result.buffer.files
          ? `; ${result.buffer.sent} buffered batch(es) and ${result.buffer.files} file(s) sent`
          : "") +
        (result.buffer.rejected
          ? `; the server refused ${result.buffer.rejected} buffered item(s) as invalid, kept in the buffer's rejected/ folders with its answer`
          : "") +
        ".",
    );
  }
  return result.failed.length > 0 || result.buffer.left > 0 || result.buffer.rejected > 0 ? 1 : 0;
}
