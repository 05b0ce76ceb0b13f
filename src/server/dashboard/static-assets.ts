import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context } from "hono";

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

/** Where the built web app lives in the package: `dist/web` (three levels above this file, in src/ or dist/). */
export function defaultAssetsDir(): string {
  return fileURLToPath(new URL("../../../dist/web/", import.meta.url));
}

/** True when the web app was built (`npm run build:web`). */
export function assetsBuilt(dir = defaultAssetsDir()): boolean {
  return existsSync(join(dir, "index.html"));
}

/**
 * Serves the built web app: files by path (hashed assets cached for a year), and index.html for every other
 * path, since the app routes in the browser.
 */
export function serveAssets(dir = defaultAssetsDir()) {
  const root = resolve(dir);
  const cache = new Map<string, Buffer>();
  const read = (file: string) => {
    let body = cache.get(file);
    if (!body) cache.set(file, (body = readFileSync(file)));
    return body;
  };
  return (c: Context) => {
    const path = decodeURIComponent(new URL(c.req.url).pathname);
    const file = resolve(root, `.${path}`);
    if (file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile()) {
      const immutable = path.startsWith("/assets/");
      return c.body(new Uint8Array(read(file)), 200, {
        "content-type": types[extname(file)] ?? "application/octet-stream",
        "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      });
    }
    const index = join(root, "index.html");
    if (!existsSync(index))
      return c.text(
        "The dashboard's web app is not built. Run `npm run build:web` in the labrun package, then reload.",
        503,
      );
    return c.body(new Uint8Array(read(index)), 200, {
      "content-type": types[".html"]!,
      "cache-control": "no-cache",
    });
  };
}
