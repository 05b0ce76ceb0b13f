import { KindRegistry } from "../../util/kind-registry.js";
import { GitArchivePackager, type GitArchivePackagerOptions } from "./git-archive-packager.js";
import type { Packager, PackagerConfig } from "./packager.js";
import { PatternPackager, type PatternPackagerOptions } from "./pattern-packager.js";

// Built-in kinds from a static table, as for executors (executor-kinds.ts).
const registry = new KindRegistry<PackagerConfig, Packager>("executor", {
  "git-archive": (config) => new GitArchivePackager(config as GitArchivePackagerOptions),
  pattern: (config) => new PatternPackager(config as unknown as PatternPackagerOptions),
});

/** The packager kinds every process knows (`git-archive`, `pattern`). */
export const builtinPackagerKinds: readonly string[] = registry.builtinKinds;

/** Lets a custom packager kind be rebuilt from its config (inside a rebuilt executor). */
export function registerPackagerKind(kind: string, factory: (config: PackagerConfig) => Packager): void {
  registry.register(kind, factory);
}

/** Rebuilds a packager from its config. Throws UnknownKindError for an unknown kind. */
export function packagerFromConfig(config: PackagerConfig): Packager {
  return registry.fromConfig(config);
}
