import { useSyncExternalStore } from "react";

/** The page's theme ("light" / "dark"), following changes of `<html data-theme>`. */
export function useTheme(): string {
  return useSyncExternalStore(
    (listener) => {
      const observer = new MutationObserver(listener);
      observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
      return () => observer.disconnect();
    },
    () => document.documentElement.dataset.theme ?? "light",
  );
}
