import { setMissing } from "./chunk-codec.js";
import type { ChunkSummary } from "./chunk-summary.js";
import { maxRowFields } from "./chunk-summary.js";

const stat = 6;

/**
 * The summary of consecutive chunks (a group row, docs/storage.md) from theirs: per field the counts and sums
 * added, the first minimum and maximum, and the extreme points' rows taken from the chunks' rows. Undefined
 * when some chunk was stored without its extreme points (more than `maxRowFields` numeric fields).
 */
export function mergeSummaries(parts: readonly ChunkSummary[]): ChunkSummary | undefined {
  const fields: string[] = [];
  const position = new Map<string, number>();
  for (const part of parts)
    for (const field of part.fields)
      if (!position.has(field)) (position.set(field, fields.length), fields.push(field));
  if (fields.length > maxRowFields) return undefined;
  const f = fields.length;
  const stats = new Float64Array(stat * f);
  for (let k = 0; k < f; k++) stats.set([0, NaN, NaN, 0, -1, -1], k * stat);
  for (const part of parts) {
    const d = part.data;
    if (d[0]! > 0 && d[1] === 0 && part.fields.some((_, k) => d[2 + stat * k] !== 0)) return undefined;
    part.fields.forEach((field, k) => {
      const src = 2 + stat * k;
      if (d[src] === 0) return;
      const dst = stat * position.get(field)!;
      if (stats[dst] === 0 || d[src + 1]! < stats[dst + 1]!)
        ((stats[dst + 1] = d[src + 1]!), (stats[dst + 4] = d[src + 4]!));
      if (stats[dst] === 0 || d[src + 2]! > stats[dst + 2]!)
        ((stats[dst + 2] = d[src + 2]!), (stats[dst + 5] = d[src + 5]!));
      stats[dst] = stats[dst]! + d[src]!;
      stats[dst + 3] = stats[dst + 3]! + d[src + 3]!;
    });
  }
  const wanted = new Set<number>();
  for (let k = 0; k < f; k++)
    if (stats[k * stat] !== 0) wanted.add(stats[k * stat + 4]!).add(stats[k * stat + 5]!);
  const rows = [...wanted].sort((a, b) => a - b);
  const data = new Float64Array(2 + stat * f + rows.length * (2 + f));
  data[0] = f;
  data[1] = rows.length;
  data.set(stats, 2);
  const bits = new Uint32Array(data.buffer);
  const at = new Map(rows.map((index, r) => [index, 2 + stat * f + r * (2 + f)]));
  for (const part of parts) {
    const d = part.data;
    const pf = d[0]!;
    const pbits = new Uint32Array(d.buffer, d.byteOffset, d.length * 2);
    for (let r = 0, src = 2 + stat * pf; r < d[1]!; r++, src += 2 + pf) {
      const dst = at.get(d[src]!);
      if (dst === undefined) continue;
      at.delete(d[src]!);
      data[dst] = d[src]!;
      data[dst + 1] = d[src + 1]!;
      for (let k = 0; k < f; k++) setMissing(bits, dst + 2 + k);
      part.fields.forEach((field, k) => {
        const to = dst + 2 + position.get(field)!;
        bits[2 * to] = pbits[2 * (src + 2 + k)]!;
        bits[2 * to + 1] = pbits[2 * (src + 2 + k) + 1]!;
      });
    }
  }
  return at.size === 0 ? { fields, data } : undefined;
}
