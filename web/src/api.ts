// The dashboard API (src/server/dashboard/dashboard-app.ts), the same over a workspace or a server's store.
export type * from "../../src/server/dashboard/dashboard-source.js";

const base = "/api/dashboard";

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(base + path, init);
  const body = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!response.ok) throw new ApiError(body.error?.code ?? "HTTP", body.error?.message ?? response.statusText);
  return body as T;
}

export function postJson<T>(path: string, body: unknown): Promise<T> {
  return getJson<T>(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

export const apiUrl = (path: string) => base + path;
export const enc = encodeURIComponent;
