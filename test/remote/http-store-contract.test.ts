import { join } from "node:path";
import { afterAll } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { storeContract } from "../../src/testing/store-contract.js";
import { tempWorkspace } from "../helpers.js";
import { ServerProcess } from "./server-process.js";

// The same contract the database stores pass, through `openStore("http://…")` and a real `labrun serve`.
const workspace = tempWorkspace("http-contract");
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
  workspace.cleanup();
});

storeContract({
  name: "http",
  create: async () => {
    server = await ServerProcess.start(join(workspace.root, "server"));
    return openStore(server.url);
  },
  skip: {
    tokens: "tokens are managed on the server (labrun token), not through the HTTP store",
    files:
      "HttpStore uploads bytes with uploadFile; addFile (metadata of bytes already in the server's storage) is server-side only",
  },
});
