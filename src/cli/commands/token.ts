import { UsageError } from "../../errors.js";
import { defaultDbUri } from "../../server/start-server.js";
import { openServerDatabase } from "../../server/open-database.js";
import type { ServerStore } from "../../store/store.js";
import { formatTable } from "../../util/table.js";
import { printJson } from "../output.js";

/** The options every `labrun token` command takes. */
export interface TokenOptions {
  readonly db?: string | undefined;
  readonly workspace?: string | undefined;
  readonly json?: boolean | undefined;
}

const units: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** `30d`, `12h`, `2w`, `1y`, `90m`, or an ISO 8601 date: the expiry as ISO 8601. */
export function parseExpiry(text: string, now = Date.now()): string {
  const match = /^(\d+)\s*([mhdwy])$/.exec(text.trim());
  if (match) return new Date(now + Number(match[1]) * units[match[2]!]!).toISOString();
  const date = Date.parse(text);
  if (Number.isNaN(date) || date <= now) {
    throw new UsageError(`--expires "${text}" is not a duration (30d, 12h, 2w, 1y) or a future ISO date.`);
  }
  return new Date(date).toISOString();
}

async function withStore<T>(options: TokenOptions, action: (store: ServerStore) => Promise<T>): Promise<T> {
  if (options.workspace) process.env.LABRUN_HOME = options.workspace;
  const store = await openServerDatabase(options.db ?? defaultDbUri(options.workspace));
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

/** `labrun token create`: prints the secret once (or the created token as JSON). */
export async function tokenCreateCommand(
  options: TokenOptions & {
    readonly project: string;
    readonly readOnly?: boolean | undefined;
    readonly expires?: string | undefined;
    readonly description?: string | undefined;
  },
): Promise<void> {
  const expiresAt = options.expires ? parseExpiry(options.expires) : undefined;
  const created = await withStore(options, (store) =>
    store.createToken({
      project: options.project,
      readOnly: options.readOnly ?? false,
      ...(expiresAt ? { expiresAt } : {}),
      ...(options.description ? { description: options.description } : {}),
    }),
  );
  if (options.json) return printJson(created);
  process.stdout.write(
    `${created.secret}\n` +
      `token ${created.token.id}: project ${created.token.project}${created.token.readOnly ? ", read-only" : ""}` +
      `${created.token.expiresAt ? `, expires ${created.token.expiresAt}` : ""}\n` +
      "The secret is shown only now: give it to the SDK as LABRUN_TOKEN (or MLFLOW_TRACKING_TOKEN).\n",
  );
}

/** `labrun token list`: every token, never the secrets. */
export async function tokenListCommand(options: TokenOptions): Promise<void> {
  const tokens = await withStore(options, (store) => store.listTokens());
  if (options.json) return printJson(tokens);
  const now = Date.now();
  const state = (t: (typeof tokens)[number]) =>
    t.revokedAt ? "revoked" : t.expiresAt && Date.parse(t.expiresAt) <= now ? "expired" : "active";
  process.stdout.write(
    formatTable(
      ["ID", "PROJECT", "ACCESS", "STATE", "CREATED", "EXPIRES", "DESCRIPTION"],
      tokens.map((t) => [
        t.id,
        t.project,
        t.readOnly ? "read-only" : "read-write",
        state(t),
        t.createdAt,
        t.expiresAt ?? "never",
        t.description ?? "",
      ]),
    ) + "\n",
  );
}

/** `labrun token revoke <id>`: requests with it get 401 at once. */
export async function tokenRevokeCommand(id: string, options: TokenOptions): Promise<void> {
  const revoked = await withStore(options, (store) => store.revokeToken(id));
  if (!revoked) throw new UsageError(`No token with id ${id}. See \`labrun token list\`.`);
  if (options.json) return printJson({ id, revoked: true });
  process.stdout.write(`token ${id} revoked\n`);
}
