import { rmSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SSHTunnel, TunnelError } from "../../src/index.js";
import { startSshd } from "./sshd.js";
import type { TestSshd } from "./sshd.js";

let sshd: TestSshd;
let remoteRoot: string;
beforeAll(async () => {
  sshd = await startSshd();
  remoteRoot = mkdtempSync(join(tmpdir(), "labrun-remote-"));
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(remoteRoot, { recursive: true, force: true });
});

function tunnel(): SSHTunnel {
  return new SSHTunnel({
    host: "127.0.0.1",
    port: sshd.port,
    user: sshd.user,
    identity: sshd.identity,
    jobDir: remoteRoot,
    sshOptions: sshd.sshOptions,
  });
}

describe("SSHTunnel against a real sshd", () => {
  it("runs every command and transfer over one connection, shared by tunnels to the same host", async () => {
    const first = tunnel();
    const before = sshd.connections();
    for (let i = 0; i < 10; i++) expect((await first.exec(`echo ${i}`)).stdout).toBe(`${i}\n`);
    await first.putFiles([{ path: join(remoteRoot, "a", "b.txt"), content: "bee" }]);
    expect((await first.readFrom([{ path: join(remoteRoot, "a", "b.txt"), offset: 1 }]))[0]?.toString()).toBe(
      "ee",
    );
    // Another tunnel object (as in another process: a supervisor, `labrun experiment status`) reuses it too.
    const second = tunnel();
    expect((await second.exec("echo again", {})).stdout).toBe("again\n");
    expect(sshd.connections() - before).toBe(1);
    await first.close();
  });

  it("moves bytes faithfully both ways: files, directories, input and exit codes", async () => {
    const t = tunnel();
    const binary = Buffer.from([0, 1, 2, 255, 10, 13, 39, 34]);
    const path = join(remoteRoot, "bin", "data");
    await t.putFiles([{ path, content: binary, mode: 0o640 }]);
    expect(readFileSync(path)).toEqual(binary);
    expect(await t.exec("cat; exit 7", { input: "in\n", env: { X: "it's" } })).toEqual({
      code: 7,
      stdout: "in\n",
      stderr: "",
    });
    expect((await t.exec('echo "$X"', { env: { X: "it's $HOME" } })).stdout).toBe("it's $HOME\n");
    const local = mkdtempSync(join(tmpdir(), "labrun-local-"));
    mkdirSync(join(local, "sub"));
    writeFileSync(join(local, "sub", "f.txt"), "content");
    writeFileSync(join(local, "skip.lock"), "x");
    const remote = join(remoteRoot, "copy");
    await t.putDirectory(local, remote, { exclude: ["./skip.lock"] });
    expect(readFileSync(join(remote, "sub", "f.txt"), "utf8")).toBe("content");
    const back = mkdtempSync(join(tmpdir(), "labrun-back-"));
    await t.getDirectory(remote, back);
    expect(readFileSync(join(back, "sub", "f.txt"), "utf8")).toBe("content");
    expect((await t.readFrom([{ path: join(remoteRoot, "missing"), offset: 0 }]))[0]).toBeUndefined();
    await t.close();
  });

  it("fails with a typed error that says what to check when the host cannot be reached", async () => {
    const closedPort = new SSHTunnel({
      host: "127.0.0.1",
      port: 9,
      user: sshd.user,
      identity: sshd.identity,
      jobDir: remoteRoot,
      sshOptions: sshd.sshOptions,
    });
    const attempt = closedPort.exec("true");
    await expect(attempt).rejects.toThrow(TunnelError);
    await expect(attempt).rejects.toMatchObject({ code: "TUNNEL_FAILED" });
    await expect(attempt).rejects.toThrow(/Connection refused/);
  });
});
