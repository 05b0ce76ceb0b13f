/** A route of Hono's table (`app.routes`). */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
}

const patterns = new Map<string, RegExp>();

function patternOf(path: string): RegExp {
  let pattern = patterns.get(path);
  if (!pattern) {
    const body = path
      .split("/")
      .map((segment) =>
        segment.startsWith(":")
          ? "[^/]+"
          : segment === "*"
            ? ".*"
            : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/");
    pattern = new RegExp(`^${body}/?$`);
    patterns.set(path, pattern);
  }
  return pattern;
}

/**
 * The methods the routes of an app answer for `path` (for a 405's `Allow`): empty when no route has this
 * path. Middleware (`ALL`) and catch-all routes (`*`) are not routes of a path.
 */
export function methodsFor(routes: readonly RouteEntry[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL" || route.path === "*" || route.path === "/*") continue;
    if (patternOf(route.path).test(path)) methods.add(route.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
