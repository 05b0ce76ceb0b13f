import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** A real OpenSSH server on a loopback port, accepting one generated key; for the SSH tunnel tests. */
export interface TestSshd {
  readonly port: number;
  readonly user: string;
  /** Private key that logs in. */
  readonly identity: string;
  /** ssh options for a host key nobody has seen before. */
  readonly sshOptions: Readonly<Record<string, string>>;
  /** How many SSH connections the server has accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), "labrun-sshd-"));
  chmodSync(dir, 0o700);
  const keygen = (file: string) =>
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file], { encoding: "utf8" });
  keygen(join(dir, "host_key"));
  keygen(join(dir, "id_ed25519"));
  writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "id_ed25519.pub")));
  chmodSync(join(dir, "authorized_keys"), 0o600);
  const port = await freePort();
  const log = join(dir, "sshd.log");
  writeFileSync(
    join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "host_key")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "PermitRootLogin prohibit-password",
      "StrictModes no",
      "UsePAM no",
      "MaxSessions 100",
      "MaxStartups 100",
      `PidFile ${join(dir, "sshd.pid")}`,
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  mkdirSync("/run/sshd", { recursive: true }); // privilege separation directory
  const sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"].find((path) => existsSync(path)) ?? "sshd";
  const child: ChildProcess = spawn(sshd, ["-D", "-f", join(dir, "sshd_config"), "-E", log], {
    stdio: "ignore",
  });
  const user = userInfo().username;
  const sshOptions = { StrictHostKeyChecking: "no", UserKnownHostsFile: "/dev/null", LogLevel: "ERROR" };
  const identity = join(dir, "id_ed25519");
  for (let i = 0; ; i++) {
    const probe = spawnSync(
      "ssh",
      [
        "-p",
        String(port),
        "-i",
        identity,
        ...Object.entries(sshOptions).flatMap(([k, v]) => ["-o", `${k}=${v}`]),
        "-o",
        "BatchMode=yes",
        `${user}@127.0.0.1`,
        "true",
      ],
      { encoding: "utf8" },
    );
    if (probe.status === 0) break;
    if (i > 50) throw new Error(`sshd did not accept the test key: ${probe.stderr}\n${readLog(log)}`);
    await sleep(100);
  }
  const probes = countAccepted(readLog(log));
  return {
    port,
    user,
    identity,
    sshOptions,
    connections: () => countAccepted(readLog(log)) - probes,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) =>
        child.exitCode !== null ? resolve(undefined) : child.once("exit", resolve),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function countAccepted(log: string): number {
  return log.split("\n").filter((line) => line.includes("Accepted publickey")).length;
}
