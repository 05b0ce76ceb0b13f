import { readdirSync } from "node:fs";

/** Names of the folders directly inside `dir`, sorted; none when it does not exist or cannot be read. */
export function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}
