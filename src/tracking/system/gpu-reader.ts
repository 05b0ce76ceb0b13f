import { execFile } from "node:child_process";
import { which } from "../../util/which.js";

export interface GpuReading {
  readonly index: number;
  readonly utilizationPercent: number;
  readonly memoryUsedMb: number;
  readonly memoryTotalMb: number;
}

/** Per-GPU utilisation and memory from `nvidia-smi`, or [] where there is none. */
export async function readGpus(): Promise<GpuReading[]> {
  const program = which("nvidia-smi");
  if (!program) return [];
  const output = await new Promise<string>((resolve) =>
    execFile(
      program,
      ["--query-gpu=index,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"],
      { timeout: 5000 },
      (error, stdout) => resolve(error ? "" : stdout),
    ),
  );
  return parseNvidiaSmi(output);
}

export function parseNvidiaSmi(output: string): GpuReading[] {
  return output
    .split("\n")
    .map((line) => line.split(",").map((field) => Number(field.trim())))
    .filter((fields) => fields.length === 4 && fields.every((v) => Number.isFinite(v)))
    .map(([index, utilizationPercent, memoryUsedMb, memoryTotalMb]) => ({
      index: index!,
      utilizationPercent: utilizationPercent!,
      memoryUsedMb: memoryUsedMb!,
      memoryTotalMb: memoryTotalMb!,
    }));
}
