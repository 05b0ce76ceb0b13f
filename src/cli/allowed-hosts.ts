import { UsageError } from "../errors.js";

/** A comma-separated list of host names (`--allowed-hosts`). */
export function hostList(text: string): string[] {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names)
    if (name !== "*" && !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)$/.test(name))
      throw new UsageError(
        `--allowed-hosts: "${name}" is not a host name (give names without scheme or port, comma-separated, or *).`,
      );
  return names;
}
