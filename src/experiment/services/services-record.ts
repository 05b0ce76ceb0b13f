import { hostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeJsonAtomic } from "../../util/atomic-file.js";
import { formatTable, paintState } from "../../util/table.js";
import type { Service } from "./service.js";
import { serviceStates } from "./service.js";
import type { ServiceState } from "./service.js";
import { serviceUrl } from "./web-service.js";
import { skipCorrupt, type OnRecordWarning } from "../../util/record-warning.js";

/** The file, in the experiment's directory, that lists its services. */
export const servicesFile = "services.json";

/** One service as `labrun experiment status` shows it (and `--json` prints it). */
export interface ServiceStatus {
  readonly id: string;
  readonly description: string;
  readonly state: ServiceState;
  /** Where a web service answers, while it runs. */
  readonly url?: string;
  /** Why the recorded state was corrected (the process that ran the service is gone). */
  readonly reason?: string;
}

const recordSchema = z.object({
  version: z.literal(1),
  pid: z.number().int(),
  hostname: z.string(),
  updatedAt: z.string(),
  services: z.array(
    z.object({
      id: z.string(),
      description: z.string(),
      state: z.enum(serviceStates),
      url: z.string().optional(),
    }),
  ),
});

/** Writes services.json: each service's id, description, state and URL, with the process that runs them. */
export function writeServicesRecord(experimentDir: string, services: readonly Service[]): void {
  writeJsonAtomic(join(experimentDir, servicesFile), {
    version: 1,
    pid: process.pid,
    hostname: hostname(),
    updatedAt: new Date().toISOString(),
    services: services.map((service) => {
      const url = service.state === "STOPPED" ? undefined : serviceUrl(service);
      return {
        id: service.id,
        description: service.description(),
        state: service.state,
        ...(url ? { url } : {}),
      };
    }),
  });
}

/**
 * The services recorded in an experiment's directory (none when it has no services.json). A service
 * recorded as running by a process of this machine that no longer exists is reported STOPPED, with why.
 * A services.json that cannot be read throws `CorruptRecordError`, unless `onWarning` is given: then it
 * hears of it and no service is listed.
 */
export function readServicesRecord(experimentDir: string, onWarning?: OnRecordWarning): ServiceStatus[] {
  const file = join(experimentDir, servicesFile);
  const record = onWarning
    ? skipCorrupt(() => readJsonFile(file, recordSchema), undefined, onWarning)
    : readJsonFile(file, recordSchema);
  if (!record) return [];
  const gone = record.hostname === hostname() && !processExists(record.pid);
  return record.services.map((service) => {
    if (!gone || service.state === "STOPPED") return service;
    const { url: _url, ...rest } = service;
    return { ...rest, state: "STOPPED", reason: `its process ${record.pid} has ended` };
  });
}

/** The services part of `labrun experiment status`. */
export function formatServicesTable(services: readonly ServiceStatus[]): string {
  const rows = services.map((service) => [
    service.id,
    paintState(service.state) + (service.reason ? ` (${service.reason})` : ""),
    service.url ?? "-",
    service.description,
  ]);
  return `Services\n\n${formatTable(["Service", "Status", "URL", "Description"], rows)}`;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
