// The dashboard API (src/server/dashboard/dashboard-app.ts), the same over a workspace or a server's store.
import { useEffect, useState } from "react";

export type * from "../../src/server/dashboard/dashboard-source.js";

const base = "/api/dashboard";
const tokenKey = "labrun-token";

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The team server's bearer token, kept in this browser (`labrun serve` asks for one; `labrun ui` does not). */
export const token = {
  get: () => localStorage.getItem(tokenKey) ?? "",
  set: (value: string) => (value ? localStorage.setItem(tokenKey, value) : localStorage.removeItem(tokenKey)),
};

const loginListeners = new Set<() => void>();
/** Called when the server answers 401: the app shows the token form. */
export function onLoginNeeded(listener: () => void): () => void {
  loginListeners.add(listener);
  return () => loginListeners.delete(listener);
}

function headers(extra?: HeadersInit): Headers {
  const h = new Headers(extra);
  const t = token.get();
  if (t) h.set("authorization", `Bearer ${t}`);
  return h;
}

export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(base + path, { ...init, headers: headers(init?.headers) });
  const body = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (response.status === 401) loginListeners.forEach((listener) => listener());
  if (!response.ok)
    throw new ApiError(body.error?.code ?? "HTTP", body.error?.message ?? response.statusText);
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

/** An SSE URL: EventSource cannot send headers, so the token goes in the query. */
export function eventsUrl(path: string): string {
  const t = token.get();
  return apiUrl(path) + (t ? `${path.includes("?") ? "&" : "?"}token=${enc(t)}` : "");
}

/** A URL for <img src> and the like: the API URL itself, or with a token, the bytes fetched into a blob URL. */
export function useAuthedUrl(path: string): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!path) return;
    if (!token.get()) {
      setUrl(apiUrl(path));
      return;
    }
    let objectUrl: string | undefined;
    let live = true;
    fetch(apiUrl(path), { headers: headers() })
      .then((r) => r.blob())
      .then((blob) => {
        if (!live) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      });
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [path]);
  return url;
}

/** Fetches with the token (for text previews and downloads). */
export function authedFetch(path: string): Promise<Response> {
  return fetch(apiUrl(path), { headers: headers() });
}
