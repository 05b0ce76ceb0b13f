import { Option, type Command } from "commander";
import { readFileSync } from "node:fs";
import { UsageError } from "../../errors.js";
import { startServer } from "../../server/start-server.js";
import { paint, useColor } from "../../util/table.js";
import { hostList } from "../allowed-hosts.js";

interface ServeOptions {
  readonly port: string;
  readonly host: string;
  readonly db?: string;
  readonly files?: string;
  readonly auth: boolean;
  readonly maxBodyMb?: string;
  readonly maxFileMb?: string;
  readonly workspace?: string;
  readonly allowedHosts?: string;
}

function positiveNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${name} must be a positive number, got "${text}".`);
  return value;
}

/** `labrun serve`: the team server, until SIGTERM or SIGINT (then it drains and closes the database). */
export async function serveCommand(options: ServeOptions): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number (0-65535), got "${options.port}".`);
  }
  const version = (
    JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  const bodyMb = positiveNumber("--max-body-mb", options.maxBodyMb);
  const fileMb = positiveNumber("--max-file-mb", options.maxFileMb);
  const server = await startServer({
    port,
    host: options.host,
    auth: options.auth,
    version,
    ...(options.db ? { db: options.db } : {}),
    ...(options.files ? { files: options.files } : {}),
    ...(options.workspace ? { workspace: options.workspace } : {}),
    ...(options.allowedHosts !== undefined ? { allowedHosts: hostList(options.allowedHosts) } : {}),
    limits: {
      ...(bodyMb ? { jsonBodyBytes: Math.round(bodyMb * 1024 * 1024) } : {}),
      ...(fileMb ? { fileBytes: Math.round(fileMb * 1024 * 1024) } : {}),
    },
  });
  const color = useColor(process.stderr);
  if (!options.auth) {
    process.stderr.write(
      `${paint("red", "WARNING: AUTHENTICATION IS OFF (--no-auth).", color)} Anyone on this machine can read and change ` +
        `every run. Only for a single-user machine; never put this port behind a proxy.\n`,
    );
  } else if ((await server.store.listTokens()).length === 0) {
    process.stderr.write(
      `No tokens yet: create one with \`labrun token create --project <project>${options.db ? ` --db ${options.db}` : ""}\`.\n`,
    );
  }
  // Never print a database password.
  const db = server.db.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  process.stdout.write(
    `labrun server ${version} listening on ${server.url} (database ${db}, files ${server.filesDir})\n`,
  );
  await new Promise<void>((resolve, reject) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stdout.write(`${signal}: draining requests and closing the database …\n`);
      server.close().then(() => {
        process.stdout.write("labrun server stopped.\n");
        resolve();
      }, reject);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

/** Registers `labrun serve` on the program. */
export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("run the team tracking server (JSON API, MLflow REST API, token auth) until SIGTERM/Ctrl-C")
    .option("--port <port>", "TCP port (0: any free port)", "4400")
    .option("--host <host>", "address to listen on (0.0.0.0 for every interface)", "127.0.0.1")
    .option(
      "--db <uri>",
      "sqlite:PATH or postgres://user:pass@host/db (default: sqlite:<workspace>/server/labrun.db)",
    )
    .option("--files <dir>", "folder of uploaded files (default: <workspace>/server/files)")
    .option("--no-auth", "accept requests without a token (refused unless --host is a loopback address)")
    .option(
      "--allowed-hosts <names>",
      "host names to answer to besides localhost, 127.0.0.1, [::1] and --host (comma-separated; * for any; " +
        "default: any with auth, only those without)",
    )
    .addOption(new Option("--max-body-mb <mb>", "largest JSON request body, MiB (default 32)"))
    .addOption(new Option("--max-file-mb <mb>", "largest uploaded file, MiB (default 5120)"))
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<ServeOptions>();
      if (options.workspace) process.env.LABRUN_HOME = options.workspace;
      await serveCommand(options);
    });
}
