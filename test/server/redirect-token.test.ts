import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClient } from "../../src/store/http/http-client.js";
import { runPython } from "../faults/writer-disk.js";

// `labrun serve --files-presign` answers a download with 302 to the object store: both SDKs must follow it
// without carrying the labrun token there (a leak, and S3 refuses a second authentication).
describe("a download redirected to another origin", () => {
  const seen: { api: IncomingHttpHeaders[]; store: IncomingHttpHeaders[] } = { api: [], store: [] };
  let api: Server;
  let store: Server;
  let apiUrl: string;

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  };

  beforeAll(async () => {
    store = createServer((request, response) => {
      seen.store.push(request.headers);
      response.writeHead(200, { "content-type": "application/octet-stream" }).end("the bytes");
    });
    const storeUrl = await listen(store);
    api = createServer((request, response) => {
      seen.api.push(request.headers);
      response.writeHead(302, { location: `${storeUrl}/bucket/key?X-Amz-Signature=abc` }).end();
    });
    apiUrl = await listen(api);
  });
  afterAll(() => {
    api.close();
    store.close();
  });

  it("is followed by the TypeScript client, which sends the token to labrun only", async () => {
    seen.api.length = seen.store.length = 0;
    const client = new HttpClient({ url: apiUrl, token: "secret-ts" });
    const answer = await client.send("GET", "/api/runs/r/files/f");
    expect(await answer.text()).toBe("the bytes");
    expect(seen.api[0]?.authorization).toBe("Bearer secret-ts");
    expect(seen.store).toHaveLength(1);
    expect(seen.store[0]?.authorization).toBeUndefined();
  });

  it("is followed by the Python client, which sends the token to labrun only", async () => {
    seen.api.length = seen.store.length = 0;
    const script = [
      "import sys",
      "from labrun._remote_http import HttpClient",
      "print(HttpClient(sys.argv[1], 'secret-py').request('GET', '/api/runs/r/files/f').decode())",
    ].join("\n");
    const result = await runPython(script, [apiUrl]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("the bytes");
    expect(seen.api[0]?.authorization).toBe("Bearer secret-py");
    expect(seen.store).toHaveLength(1);
    expect(seen.store[0]?.authorization).toBeUndefined();
  });
});
