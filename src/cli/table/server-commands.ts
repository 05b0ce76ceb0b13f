import { monitorCommand } from "../commands/monitor.js";
import { planRunCommand } from "../commands/plan-command.js";
import { serveCommand } from "../commands/serve.js";
import { storeCopyCommand } from "../commands/store-copy.js";
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from "../commands/token.js";
import { uiCommand } from "../commands/ui.js";
import { UsageError } from "../../errors.js";
import { command, group } from "../option-table.js";
import {
  allowedHostsOption,
  globalOptions,
  hostOption,
  portOption,
  positiveNumber,
} from "../shared-options.js";

const allowedHostsWords =
  "host names to answer to besides localhost, 127.0.0.1, [::1] and --host (comma-separated; * for any";

/** `labrun ui`: the dashboard over the local workspace. */
export const uiTableCommand = command({
  description: "serve the web dashboard over the local workspace (experiments, jobs, runs, metrics)",
  options: {
    port: portOption("4500", "port to listen on (0: any free port)"),
    host: hostOption("address to listen on (0.0.0.0 to reach it from other machines)"),
    allowedHosts: allowedHostsOption(`${allowedHostsWords})`),
    root: {
      argument: "<dir>",
      description:
        "show this folder of runs (an ML-Dash root, e.g. dash_root) instead of the workspace (default: $LABRUN_RUNS)",
    },
  },
  action: (_args, options) => uiCommand(options),
});

/** `labrun monitor`: the terminal monitor (ink and React load only when it runs). */
export const monitorTableCommand = command({
  description: "watch experiments, their jobs and a job's output live in the terminal (keys: ? for help)",
  arguments: [
    {
      name: "[experiment-id]",
      description: "open this experiment first (id, or title: the latest with it)",
    },
  ],
  action: ([id], options) => monitorCommand(id, options),
});

/** `labrun serve`: the team server. */
export const serveTableCommand = command({
  description: "run the team tracking server (JSON API, MLflow REST API, token auth) until SIGTERM/Ctrl-C",
  options: {
    port: portOption("4400", "TCP port (0: any free port)"),
    host: hostOption("address to listen on (0.0.0.0 for every interface)"),
    db: {
      argument: "<uri>",
      description:
        "sqlite:PATH or postgres://user:pass@host/db (default: sqlite:<workspace>/server/labrun.db)",
    },
    files: {
      argument: "<dir|s3-uri>",
      description:
        "where uploaded files' bytes live: a folder, or s3://bucket/prefix with the AWS_* environment variables (default: <workspace>/server/files)",
    },
    s3Endpoint: {
      argument: "<url>",
      description:
        "S3-compatible endpoint for --files s3://… (MinIO, Ceph, moto; default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS)",
    },
    s3Addressing: {
      argument: "<style>",
      description:
        "path (endpoint/bucket/key) or virtual (bucket.endpoint/key); default: path with an endpoint",
      parse: addressingStyle,
    },
    filesPresign: {
      argument: "<seconds>",
      description:
        "with --files s3://…: file downloads of the API answer 302 to a presigned S3 URL valid this long (bytes skip the server)",
      parse: positiveNumber("--files-presign"),
    },
    auth: {
      negate: true,
      description: "accept requests without a token (refused unless --host is a loopback address)",
    },
    allowedHosts: allowedHostsOption(`${allowedHostsWords}; default: any with auth, only those without)`),
    maxBodyMb: {
      argument: "<mb>",
      description: "largest JSON request body, MiB (default 32)",
      parse: positiveNumber("--max-body-mb"),
    },
    maxFileMb: {
      argument: "<mb>",
      description: "largest uploaded file, MiB (default 5120)",
      parse: positiveNumber("--max-file-mb"),
    },
  },
  action: (_args, options) => serveCommand(options),
});

function addressingStyle(text: string): "path" | "virtual" {
  if (text === "path" || text === "virtual") return text;
  throw new UsageError(`--s3-addressing takes path or virtual, not ${JSON.stringify(text)}.`);
}

/** The database of the token commands, and the shared options placed before their own (as `--help` shows). */
const tokenStore = {
  db: {
    argument: "<uri>",
    description: "the server's database (default: sqlite:<workspace>/server/labrun.db)",
  },
  ...globalOptions,
} as const;

/** `labrun token …`: bearer tokens of the team server. */
export const tokenGroup = group("bearer tokens of the team server (stored hashed in its database)", {
  create: command({
    description: "create a token for one project (prints its secret once)",
    options: {
      ...tokenStore,
      project: {
        argument: "<project>",
        description: "the project (2nd prefix segment) it may access, or '*' for all (admin)",
        required: true,
      },
      readOnly: { description: "it may only read" },
      expires: {
        argument: "<duration>",
        description: "expiry: 30d, 12h, 2w, 1y or an ISO date (default: never)",
      },
      description: { argument: "<text>", description: "who or what uses it" },
    },
    action: (_args, options) => tokenCreateCommand(options),
  }),
  list: command({
    description: "every token (never the secrets)",
    options: tokenStore,
    action: (_args, options) => tokenListCommand(options),
  }),
  revoke: command({
    description: "revoke a token by id (requests with it get 401 at once)",
    arguments: [{ name: "<id>", description: "the token id shown by `labrun token list`" }],
    options: tokenStore,
    action: ([id], options) => tokenRevokeCommand(id, options),
  }),
});

/** `labrun store copy`: moves a server's data (a SQLite server to PostgreSQL and object storage). */
export const storeGroup = group("the team server's database and files as a whole", {
  copy: command({
    description:
      "copy a server's runs, metrics, logs, files and tokens into another database and file storage (idempotent, resumable)",
    options: {
      from: {
        argument: "<uri>",
        description: "the source database: sqlite:PATH (or postgres://…); stop its server for the final copy",
        required: true,
      },
      to: {
        argument: "<uri>",
        description: "the target database: postgres://user:pass@host/db (or sqlite:PATH)",
        required: true,
      },
      filesFrom: {
        argument: "<dir>",
        description: "the source server's files folder (its --files; default: files/ beside a SQLite source)",
      },
      filesTo: {
        argument: "<dir|s3://bucket/prefix>",
        description: "where the files' bytes go (the target servers' --files)",
      },
      s3Endpoint: {
        argument: "<url>",
        description:
          "S3-compatible endpoint for s3://… file storage (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS)",
      },
      s3Addressing: {
        argument: "<style>",
        description: "path or virtual S3 addressing (default: path with an endpoint)",
        parse: addressingStyle,
      },
      force: { description: "replace runs and tokens that differ in the target under the source's ids" },
      verify: {
        negate: true,
        description: "skip the comparison of both sides after the copy (counts, file SHA-256)",
      },
      ...globalOptions,
    },
    action: (_args, options) => storeCopyCommand(options),
  }),
});

/** `labrun plan run`: the Python client's launch API hands its job graph here. */
export const planGroup = group(
  "run a JSON job graph planned elsewhere (the Python client's launch API; docs/plan-protocol.md)",
  {
    run: command({
      description:
        "validate a plan and launch (or list, or generate) its jobs; exits non-zero if a job fails",
      arguments: [{ name: "[file]", description: "the plan (JSON); - or nothing: read it from stdin" }],
      options: {
        events: {
          argument: "<target>",
          description: "also write JSON-line events: fd:N (an inherited descriptor), - (stdout) or a file",
        },
      },
      action: ([file], options) => planRunCommand(file, options, options),
    }),
  },
);
