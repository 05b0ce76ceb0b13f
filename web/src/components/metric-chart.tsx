import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import { getJson, enc, type MetricSeriesDto } from "../api.js";
import { useTheme } from "../theme.js";

export type XMode = "step" | "wall" | "rel";

export interface ChartRun {
  readonly id: string;
  readonly label: string;
  readonly color: string;
}

export const palette = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#d97706",
  "#7c3aed",
  "#0891b2",
  "#db2777",
  "#65a30d",
  "#ea580c",
  "#4f46e5",
  "#0d9488",
  "#b91c1c",
  "#a16207",
  "#9333ea",
  "#0284c7",
  "#be185d",
  "#15803d",
  "#c2410c",
  "#6d28d9",
  "#475569",
];

/** Exponential moving average that skips gaps, as TensorBoard's smoothing slider. */
export function smooth(y: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...y];
  let last: number | undefined;
  return y.map((v) => {
    if (v === null) return null;
    last = last === undefined ? v : last * weight + (1 - weight) * v;
    return last;
  });
}

function useVisible(ref: React.RefObject<HTMLElement | null>): boolean {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || visible) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setVisible(true);
          observer.disconnect();
        }
      },
      { rootMargin: "200px" },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, visible]);
  return visible;
}

/**
 * One field of one stream, for one or several runs. Zooming (drag across) asks the server for the new
 * range at the chart's resolution, so a 1M-point series always draws about two points per pixel.
 */
export function MetricChart(props: {
  runs: readonly ChartRun[];
  stream: string;
  field: string;
  x: XMode;
  smoothing: number;
  log: boolean;
  zoom: [number, number] | undefined;
  onZoom: (range: [number, number] | undefined) => void;
  version: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plotBox = useRef<HTMLDivElement>(null);
  const visible = useVisible(box);
  const theme = useTheme();
  const t0s = useRef(new Map<string, number | null>());
  const [series, setSeries] = useState<(MetricSeriesDto | undefined)[]>();
  const [info, setInfo] = useState("");
  const [width, setWidth] = useState(400);
  const [retries, setRetries] = useState(0);

  useEffect(() => {
    const el = plotBox.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(200, Math.floor(el.clientWidth))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const { runs, stream, field, x, zoom, version } = props;
  const maxPoints = Math.min(8000, Math.max(400, Math.round(width * 2)));
  const runKey = runs.map((r) => r.id).join("\n");
  useEffect(() => {
    if (!visible) return;
    let live = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const by = x === "step" ? "step" : "_ts";
    Promise.all(
      runs.map(async (run) => {
        let range = "";
        if (zoom) {
          const shift = x === "rel" ? t0s.current.get(run.id) : 0;
          if (shift !== undefined && shift !== null) range = `&from=${zoom[0] + shift}&to=${zoom[1] + shift}`;
        }
        try {
          const s = await getJson<MetricSeriesDto>(
            `/runs/${enc(run.id)}/metrics/${enc(stream)}?field=${enc(field)}&by=${by}&maxPoints=${maxPoints}${range}`,
          );
          t0s.current.set(run.id, s.t0);
          return s;
        } catch {
          return undefined;
        }
      }),
    ).then((result) => {
      if (!live) return;
      setSeries(result);
      // A first look at a big series (a sample): the server is reading it in full; ask again shortly.
      if (result.some((s) => s?.approximate)) retry = setTimeout(() => setRetries((n) => n + 1), 400);
    });
    return () => {
      live = false;
      if (retry) clearTimeout(retry);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [visible, runKey, stream, field, x, zoom?.[0], zoom?.[1], version, maxPoints, retries]);

  useEffect(() => {
    const el = plotBox.current;
    if (!el || !series) return;
    const tables: [number[], (number | null)[]][] = series.map((s, i) => {
      if (!s) return [[], []];
      const shift = x === "rel" ? (s.t0 ?? 0) : 0;
      const xs = shift ? s.x.map((v) => v - shift) : s.x;
      let ys = smooth(s.y, props.smoothing);
      if (props.log) ys = ys.map((v) => (v !== null && v > 0 ? v : null));
      void i;
      return [xs, ys];
    });
    const data: uPlot.AlignedData =
      tables.length === 1
        ? (tables[0] as unknown as uPlot.AlignedData)
        : uPlot.join(tables as unknown as uPlot.AlignedData[]);
    const total = series.reduce((n, s) => n + (s?.total ?? 0), 0);
    const shown = series.reduce((n, s) => n + (s?.x.length ?? 0), 0);
    const how = series.some((s) => s?.approximate)
      ? " (a sample: reading the rest…)"
      : series.some((s) => s?.downsampled)
        ? " (min/max per bucket)"
        : "";
    setInfo(`${shown.toLocaleString()} of ${total.toLocaleString()} points${how}`);
    const style = getComputedStyle(document.documentElement);
    const fg = style.getPropertyValue("--muted").trim() || "#667";
    const grid = style.getPropertyValue("--border").trim() || "#ddd";
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const plot = new uPlot(
      {
        width: el.clientWidth || width,
        height: 220,
        legend: { show: runs.length > 1 && runs.length <= 6 },
        scales: {
          x: {
            time: x === "wall",
            ...(zoom ? { range: () => [zoom[0], zoom[1]] as uPlot.Range.MinMax } : {}),
          },
          y: { distr: props.log ? 3 : 1 },
        },
        axes: [axis, { ...axis, size: 60 }],
        cursor: { drag: { x: true, y: false, setScale: false } },
        series: [
          { label: x === "step" ? "step" : x === "wall" ? "time" : "seconds" },
          ...runs.map((run) => ({
            label: run.label,
            stroke: run.color,
            width: 1.5,
            spanGaps: true,
            points: { show: false },
          })),
        ],
        hooks: {
          setSelect: [
            (u: uPlot) => {
              if (u.select.width < 4) return;
              const a = u.posToVal(u.select.left, "x");
              const b = u.posToVal(u.select.left + u.select.width, "x");
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              props.onZoom([a, b]);
            },
          ],
        },
      },
      data,
      el,
    );
    const reset = () => props.onZoom(undefined);
    plot.over.addEventListener("dblclick", reset);
    return () => {
      plot.over.removeEventListener("dblclick", reset);
      plot.destroy();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [series, props.smoothing, props.log, width, theme]);

  return (
    <div className="chart" ref={box} data-testid="chart" data-key={`${stream}.${field}`}>
      <div className="title">
        <span>
          {stream}.{field}
        </span>
        <span className="muted" style={{ fontWeight: 400 }} data-testid="chart-info">
          {visible ? (series ? info : "loading…") : ""}
        </span>
      </div>
      <div
        ref={plotBox}
        data-ready={series ? "1" : "0"}
        data-exact={series && !series.some((s) => s?.approximate) ? "1" : "0"}
      />
    </div>
  );
}
