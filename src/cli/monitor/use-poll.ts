import { useEffect, useState } from "react";

/** The latest value of a polled source, or the error of its latest attempt. */
export interface Polled<T> {
  readonly value?: T;
  readonly error?: unknown;
  /** When the latest attempt ended (ms since the epoch). */
  readonly at?: number;
}

interface Tagged<T> extends Polled<T> {
  readonly source?: unknown;
}

/**
 * Calls `load` now and then again `intervalMs` after each call ends, while `active`. A slow source is asked
 * less often (never more than a quarter of the time is spent loading), so a workspace of thousands of
 * experiments does not keep the terminal busy. Only what the current `load` gave is returned; a paused
 * source keeps its last value. A new `load` or `refresh` asks again at once.
 */
export function usePoll<T>(
  load: (() => Promise<T> | T) | undefined,
  intervalMs: number,
  options: { readonly refresh?: number; readonly active?: boolean } = {},
): Polled<T> {
  const [polled, setPolled] = useState<Tagged<T>>({});
  const active = options.active ?? true;
  useEffect(() => {
    if (!load || !active) return;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const started = Date.now();
      try {
        const value = await load();
        if (!stopped) setPolled({ value, at: Date.now(), source: load });
      } catch (error) {
        if (!stopped)
          setPolled((previous) => ({
            ...(previous.source === load ? previous : {}),
            error,
            at: Date.now(),
            source: load,
          }));
      }
      if (!stopped) timer = setTimeout(tick, Math.max(intervalMs, 3 * (Date.now() - started)));
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [load, intervalMs, options.refresh, active]);
  return load !== undefined && polled.source === load ? polled : {};
}
