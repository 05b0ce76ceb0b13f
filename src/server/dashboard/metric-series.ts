import { selectRows, type XRange } from "../../format/downsample.js";

export interface Downsampled {
  readonly x: number[];
  readonly y: (number | null)[];
  readonly total: number;
  readonly downsampled: boolean;
}

/**
 * The points of `y` against `x` with `from <= x <= to` (and one either side), at most about `maxPoints` of
 * them, by the stores' one downsampling rule (store/downsample.ts); NaN and ±Infinity become gaps (null).
 */
export function downsample(x: Float64Array, y: Float64Array, range: XRange, maxPoints: number): Downsampled {
  const { rows, total, downsampled } = selectRows(x, [y], range, maxPoints, { edges: true });
  return {
    x: rows.map((i) => x[i]!),
    y: rows.map((i) => (Number.isFinite(y[i]!) ? y[i]! : null)),
    total,
    downsampled,
  };
}
