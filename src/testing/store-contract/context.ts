import type { AuthStore, MetricPoint, ServerStore, Store } from "../../store/store.js";

/** What each group of contract cases gets. */
export interface ContractContext {
  readonly store: () => Store;
  readonly auth: () => AuthStore & ServerStore;
  /** A fresh random owner (first prefix segment), so cases never see each other's runs. */
  readonly owner: () => string;
  readonly skip: { readonly tokens?: string; readonly files?: string; readonly concurrency?: string };
}

/** Points `{ i, loss }` for indices `from..from+n-1`, ts = 1e9 + index. */
export function points(
  from: number,
  n: number,
  loss: (i: number) => number = (i) => Math.sin(i / 10),
): MetricPoint[] {
  return Array.from({ length: n }, (_, k) => ({
    ts: 1e9 + from + k,
    fields: { i: from + k, loss: loss(from + k) },
  }));
}

/** The error code a promise rejects with (fails the test when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as { code?: unknown }).code ?? (error as Error).message);
  }
  throw new Error("expected the call to fail, it succeeded");
}

export function skipTitle(title: string, reason: string | undefined): string {
  return reason ? `${title} (skipped: ${reason})` : title;
}
