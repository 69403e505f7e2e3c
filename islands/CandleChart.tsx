/**
 * The backtest chart: candlesticks with entry/exit markers and the
 * indicators the strategy reads (price-scale lines on the candles, RSI/MACD
 * in a pane below), drawn with lightweight-charts. The library is imported
 * dynamically, so only pages that show a chart download it.
 *
 * @module
 */
import type { JSX } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { api, ApiError } from "../ui/api.ts";

/** Props of {@link CandleChart}. */
export interface CandleChartProps {
  /** Backtest id (data from GET /api/v1/backtests/:id/candles). */
  backtestId: number;
  /** Symbol, for the accessible name. */
  symbol: string;
  /** Interval, for the accessible name. */
  interval: string;
}

type Json = Record<string, unknown>;

/** Seconds since epoch from ms, seconds or an ISO string. */
export function toSeconds(t: unknown): number {
  const n = typeof t === "string" && !/^\d+$/.test(t) ? Date.parse(t) : Number(t);
  return Math.floor(n > 1e11 ? n / 1000 : n);
}

const COLORS = ["#f0b90b", "#58a6ff", "#d2a8ff", "#3fb950", "#ff7b72", "#79c0ff"];

/** `RSI:14` → `RSI(14)`, `MACD:12:26:9.signal` → `MACD(12,26,9) signal`. */
export function indicatorLabel(key: string): string {
  const [head, output] = key.split(".");
  const [name, ...params] = (head ?? key).split(":");
  return `${name}${params.length ? `(${params.join(",")})` : ""}${output ? ` ${output}` : ""}`;
}

function exitLabel(status: string): string {
  return status === "CLOSED_TP" ? "TP" : status === "CLOSED_SL" ? "SL" : "Exit";
}

/** Chart island. */
export default function CandleChart(props: CandleChartProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const status = useSignal<"loading" | "ready" | "empty" | "error">("loading");
  const message = useSignal("");

  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    (async () => {
      try {
        const [lc, data] = await Promise.all([
          import("lightweight-charts"),
          api<Json>("GET", `/api/v1/backtests/${props.backtestId}/candles`),
        ]);
        if (disposed || !host.current) return;
        const bars = (data.bars ?? data.candles ?? []) as Json[];
        if (!bars.length) {
          status.value = "empty";
          return;
        }
        const chart = lc.createChart(host.current, {
          autoSize: true,
          layout: {
            background: { type: lc.ColorType.Solid, color: "#0d1117" },
            textColor: "#c9d1d9",
            fontFamily: "ui-sans-serif, system-ui, sans-serif",
          },
          grid: { vertLines: { color: "#1c2330" }, horzLines: { color: "#1c2330" } },
          timeScale: { timeVisible: true, borderColor: "#30363d" },
          rightPriceScale: { borderColor: "#30363d" },
        });
        cleanup = () => chart.remove();
        const candles = chart.addSeries(lc.CandlestickSeries, {
          upColor: "#26a69a",
          downColor: "#ef5350",
          wickUpColor: "#26a69a",
          wickDownColor: "#ef5350",
          borderVisible: false,
        });
        const times = bars.map((b) => toSeconds(b.time ?? b.openTime));
        candles.setData(bars.map((b, i) => ({
          time: times[i] as never,
          open: Number(b.open),
          high: Number(b.high),
          low: Number(b.low),
          close: Number(b.close),
        })));
        // Indicator lines are aligned to the bars (null during warm-up).
        const indicators = (data.indicators ?? {}) as Record<string, (number | null)[]>;
        // Moving averages share the price scale; each oscillator family gets its own pane.
        const panes = new Map<string, number>();
        Object.entries(indicators).forEach(([key, values], i) => {
          const family = /^(RSI|MACD)/.exec(key)?.[1];
          if (family && !panes.has(family)) panes.set(family, panes.size + 1);
          const pane = family ? panes.get(family)! : 0;
          const points = values.flatMap((v, j) =>
            v === null || !Number.isFinite(v) || times[j] === undefined
              ? []
              : [{ time: times[j] as never, value: v }]
          );
          if (key.endsWith(".histogram")) {
            chart.addSeries(lc.HistogramSeries, {
              color: "#8b96a8",
              title: indicatorLabel(key),
              priceLineVisible: false,
              lastValueVisible: false,
            }, pane).setData(points.map((p) => ({
              ...p,
              color: p.value >= 0 ? "rgba(46,189,133,.55)" : "rgba(246,70,93,.55)",
            })));
            return;
          }
          chart.addSeries(lc.LineSeries, {
            color: COLORS[i % COLORS.length],
            lineWidth: 1,
            title: indicatorLabel(key),
            priceLineVisible: false,
            lastValueVisible: false,
          }, pane).setData(points);
        });
        // Candles get most of the height; oscillators a strip each.
        chart.panes().forEach((p, i) => p.setStretchFactor(i === 0 ? 3 : 1));
        const markers = ((data.markers ?? []) as Json[]).map((m) => {
          const entry = String(m.kind ?? m.type) === "entry";
          return {
            time: toSeconds(m.time) as never,
            position: entry ? "belowBar" as const : "aboveBar" as const,
            color: entry ? "#3fb950" : "#f85149",
            shape: entry ? "arrowUp" as const : "arrowDown" as const,
            text: entry ? "Buy" : exitLabel(String(m.status ?? "")),
          };
        }).sort((a, b) => (a.time as number) - (b.time as number));
        lc.createSeriesMarkers(candles, markers);
        chart.timeScale().fitContent();
        status.value = "ready";
      } catch (e) {
        status.value = "error";
        message.value = e instanceof ApiError ? e.message : "The chart could not be loaded";
      }
    })();
    return () => {
      disposed = true;
      cleanup();
    };
  }, [props.backtestId]);

  return (
    <figure class="chart-figure">
      <div
        ref={host}
        class="chart"
        role="img"
        aria-label={`${props.symbol} ${props.interval} candles with backtest entries and exits`}
        data-testid="candle-chart"
        data-status={status.value}
      />
      {status.value === "loading" && <p class="muted chart-note">Loading chart…</p>}
      {status.value === "empty" && <p class="muted chart-note">No candles for this range.</p>}
      {status.value === "error" && (
        <p class="alert alert-error chart-note" role="alert">{message.value}</p>
      )}
    </figure>
  );
}
