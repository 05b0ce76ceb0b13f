import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { ContractContext } from "./context.js";
import { codeOf, skipTitle } from "./context.js";

export function tokenCases(ctx: ContractContext): void {
  describe("tokens", () => {
    const skip = ctx.skip.tokens;
    it.skipIf(skip !== undefined)(
      skipTitle("creates tokens, shows the secret once, verifies and revokes them", skip),
      async () => {
        const auth = ctx.auth();
        const { secret, token } = await auth.createToken({
          project: "vision",
          readOnly: true,
          description: "ci",
        });
        expect(secret).toMatch(/^lrt_[A-Za-z0-9_-]{40,}$/);
        expect(token).toMatchObject({ project: "vision", readOnly: true, description: "ci" });
        expect(JSON.stringify(token)).not.toContain(secret.slice(4));
        expect(await auth.verifyToken(secret)).toEqual(token);
        expect(await auth.verifyToken(secret + "x")).toBeUndefined();
        expect(await auth.verifyToken("")).toBeUndefined();
        const admin = await auth.createToken({ project: "*" });
        expect(admin.token.readOnly).toBe(false);
        expect(admin.secret).not.toBe(secret);
        const listed = await auth.listTokens();
        expect(listed.map((t) => t.id)).toEqual(expect.arrayContaining([token.id, admin.token.id]));
        expect(JSON.stringify(listed)).not.toContain(secret.slice(4));
        expect(await auth.revokeToken(token.id)).toBe(true);
        expect(await auth.revokeToken(token.id)).toBe(true);
        expect(await auth.verifyToken(secret)).toBeUndefined();
        expect((await auth.listTokens()).find((t) => t.id === token.id)!.revokedAt).toBeDefined();
        expect(await auth.revokeToken("no-such-token")).toBe(false);
        expect(await auth.verifyToken(admin.secret)).toMatchObject({ project: "*" });
      },
    );

    it.skipIf(skip !== undefined)(skipTitle("stops accepting a token once it expires", skip), async () => {
      const auth = ctx.auth();
      const { secret } = await auth.createToken({
        project: "p",
        expiresAt: new Date(Date.now() + 1200).toISOString(),
      });
      expect(await auth.verifyToken(secret)).toBeDefined();
      await sleep(1300);
      expect(await auth.verifyToken(secret)).toBeUndefined();
      expect(await codeOf(auth.createToken({ project: "p", expiresAt: "2000-01-01T00:00:00Z" }))).toBe(
        "TRACKING_VALUE",
      );
      expect(await codeOf(auth.createToken({ project: "a/b" }))).toBe("TRACKING_VALUE");
    });
  });
}
