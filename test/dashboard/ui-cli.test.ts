import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, startCli, tempWorkspace, waitFor } from "../helpers.js";
import { ensureDashboardBuilt } from "./browser.js";

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ensureDashboardBuilt();
  ws = tempWorkspace("ui-cli");
});
afterEach(() => ws.cleanup());

describe("labrun ui", () => {
  it("prints its URL, serves the app and the API over the workspace, refuses a taken port, stops on Ctrl-C", async () => {
    const ui = startCli(["ui", "--port", "0"], { workspace: ws.root });
    try {
      const url = await waitFor(
        "the URL",
        () => /http:\/\/127\.0\.0\.1:\d+\//.exec(ui.output().stdout)?.[0],
        20_000,
      );
      const info = (await (await fetch(`${url}api/dashboard/info`)).json()) as {
        kind: string;
        label: string;
      };
      expect(info).toMatchObject({ kind: "workspace", label: ws.root });
      expect(await (await fetch(`${url}api/dashboard/experiments`)).json()).toEqual({
        experiments: [],
        warnings: [],
      });
      const page = await fetch(`${url}runs?tag=x`);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(await page.text()).toContain('<div id="root">');

      const port = new URL(url).port;
      const second = runCli(["ui", "--port", port], { workspace: ws.root });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain("PORT_IN_USE");
      expect(runCli(["ui", "--port", "70000"], { workspace: ws.root }).code).toBe(2);
    } finally {
      ui.child.kill("SIGINT");
    }
    expect(await ui.exited).toBe(0);
  });
});
