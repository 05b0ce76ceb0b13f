import { KindRegistry } from "../../util/kind-registry.js";
import { LocalTunnel, type LocalTunnelOptions } from "./local-tunnel.js";
import { SSHTunnel, type SSHTunnelOptions } from "./ssh-tunnel.js";
import type { Tunnel, TunnelConfig } from "./tunnel.js";

// Built-in kinds from a static table, as for executors (executor-kinds.ts).
const registry = new KindRegistry<TunnelConfig, Tunnel>("executor", {
  local: (config) => new LocalTunnel(config as LocalTunnelOptions),
  ssh: (config) => new SSHTunnel(config as unknown as SSHTunnelOptions),
});

/** The tunnel kinds every process knows (`local`, `ssh`). */
export const builtinTunnelKinds: readonly string[] = registry.builtinKinds;

/** Lets a custom tunnel kind be rebuilt from its config (inside a rebuilt executor). */
export function registerTunnelKind(kind: string, factory: (config: TunnelConfig) => Tunnel): void {
  registry.register(kind, factory);
}

/** Rebuilds a tunnel from its config. Throws UnknownKindError for an unknown kind. */
export function tunnelFromConfig(config: TunnelConfig): Tunnel {
  return registry.fromConfig(config);
}
