import type { JobSubmission } from "../executor.js";

/** Rewrites local paths into their place on the cluster: longest matching prefix first. */
export class PathMap {
  readonly #pairs: (readonly [string, string])[];

  constructor(pairs: readonly (readonly [string, string])[]) {
    this.#pairs = pairs.filter(([from, to]) => from !== to).sort((a, b) => b[0].length - a[0].length);
  }

  get isIdentity(): boolean {
    return this.#pairs.length === 0;
  }

  map(value: string): string {
    for (const [from, to] of this.#pairs) {
      if (value === from) return to;
      if (value.startsWith(`${from}/`)) return to + value.slice(from.length);
    }
    return value;
  }

  /** True when `value` is one of the mapped directories or inside one. */
  covers(value: string, from: string): boolean {
    return value === from || value.startsWith(`${from}/`);
  }

  /** The submission as the cluster sees it: job directory, command, working directory and variables moved. */
  submission(job: JobSubmission, remoteDir: string, cwd?: string): JobSubmission {
    const mapRecord = (record: Readonly<Record<string, string>>) =>
      Object.fromEntries(Object.entries(record).map(([key, value]) => [key, this.map(value)]));
    return {
      ...job,
      jobDir: remoteDir,
      spec: {
        ...job.spec,
        argv: job.spec.argv.map((arg) => this.map(arg)),
        env: mapRecord(job.spec.env),
        cwd: cwd ?? this.map(job.spec.cwd),
      },
      labrunEnv: mapRecord(job.labrunEnv),
    };
  }
}
