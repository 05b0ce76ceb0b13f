import { startServer } from "../../server/start-server.js";
import { paint, useColor } from "../../util/table.js";
import { packageVersion } from "../version.js";

/** `labrun serve`'s options, as the option table gives them. */
export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  readonly db?: string | undefined;
  readonly files?: string | undefined;
  readonly s3Endpoint?: string | undefined;
  readonly s3Addressing?: "path" | "virtual" | undefined;
  /** Seconds a presigned download URL is valid (S3 only). */
  readonly filesPresign?: number | undefined;
  readonly auth: boolean;
  /** Largest JSON request body, MiB. */
  readonly maxBodyMb?: number | undefined;
  /** Largest uploaded file, MiB. */
  readonly maxFileMb?: number | undefined;
  readonly workspace?: string | undefined;
  readonly allowedHosts?: readonly string[] | undefined;
}

/** `labrun serve`: the team server, until SIGTERM or SIGINT (then it drains and closes the database). */
export async function serveCommand(options: ServeOptions): Promise<void> {
  const version = packageVersion();
  const bodyMb = options.maxBodyMb;
  const fileMb = options.maxFileMb;
  const server = await startServer({
    port: options.port,
    host: options.host,
    auth: options.auth,
    version,
    ...(options.db ? { db: options.db } : {}),
    ...(options.files ? { files: options.files } : {}),
    fileStorage: {
      ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
      ...(options.s3Addressing ? { s3Addressing: options.s3Addressing } : {}),
      ...(options.filesPresign ? { presignSeconds: options.filesPresign } : {}),
    },
    ...(options.workspace ? { workspace: options.workspace } : {}),
    ...(options.allowedHosts !== undefined ? { allowedHosts: [...options.allowedHosts] } : {}),
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
