import { useCallback, useSyncExternalStore } from "react";

// The URL is the view state: path for the page, query for filters, selections and zoom, so any view can be
// shared by copying the address.
const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
window.addEventListener("popstate", notify);

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

export function navigate(to: string): void {
  history.pushState(null, "", to);
  notify();
  window.scrollTo(0, 0);
}

export function useLocation(): { path: string; search: string } {
  const path = useSyncExternalStore(subscribe, () => location.pathname);
  const search = useSyncExternalStore(subscribe, () => location.search);
  return { path, search };
}

/** One query parameter as state; setting it replaces the history entry (filters typing) or pushes one. */
export function useQueryParam(key: string, fallback = ""): [string, (value: string, push?: boolean) => void] {
  const value = useSyncExternalStore(
    subscribe,
    () => new URLSearchParams(location.search).get(key) ?? fallback,
  );
  const set = useCallback(
    (next: string, push = false) => {
      const params = new URLSearchParams(location.search);
      if (next === "" || next === fallback) params.delete(key);
      else params.set(key, next);
      const query = params.toString();
      const url = `${location.pathname}${query ? `?${query}` : ""}`;
      if (push) history.pushState(null, "", url);
      else history.replaceState(null, "", url);
      notify();
    },
    [key, fallback],
  );
  return [value, set];
}

/** A link that routes in the page (a plain link for a new tab with ctrl/cmd-click). */
export function linkProps(to: string) {
  return {
    href: to,
    onClick: (event: {
      ctrlKey: boolean;
      metaKey: boolean;
      button: number;
      preventDefault(): void;
      stopPropagation(): void;
    }) => {
      event.stopPropagation();
      if (event.ctrlKey || event.metaKey || event.button !== 0) return;
      event.preventDefault();
      navigate(to);
    },
  };
}
