/**
 * An equity curve as inline SVG, rendered on the server: no chart library
 * and no JavaScript for a line that only changes when a trade closes.
 *
 * @module
 */
import type { JSX } from "preact";
import { dateOnly, money } from "../ui/format.ts";

/** One point of the curve. */
export interface EquityChartPoint {
  /** Time, Unix ms. */
  time: number;
  /** Equity in USDT. */
  equity: number;
}

/** Props of {@link EquityChart}. */
export interface EquityChartProps {
  /** Points in time order. */
  points: readonly EquityChartPoint[];
  /** Accessible name, e.g. "Equity curve of backtest 12". */
  label: string;
  /** Chart height in px (width scales to the container). */
  height?: number;
}

const W = 600;

/** The SVG line chart (with an empty state under two points). */
export function EquityChart({ points, label, height = 180 }: EquityChartProps): JSX.Element {
  if (points.length < 2) {
    return <p class="muted chart-empty">Not enough data for an equity curve yet.</p>;
  }
  const first = points[0]!;
  const last = points[points.length - 1]!;
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    if (p.equity < min) min = p.equity;
    if (p.equity > max) max = p.equity;
  }
  if (max === min) {
    max += 1;
    min -= 1;
  }
  const pad = 8;
  const t0 = first.time;
  const span = Math.max(last.time - t0, 1);
  const x = (t: number) => ((t - t0) / span) * W;
  const y = (v: number) => pad + (1 - (v - min) / (max - min)) * (height - 2 * pad);
  const line = points.map((p, i) =>
    `${i ? "L" : "M"}${x(p.time).toFixed(1)},${y(p.equity).toFixed(1)}`
  )
    .join("");
  const up = last.equity >= first.equity;
  return (
    <figure class="equity">
      <svg
        viewBox={`0 0 ${W} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${label}: from ${money(first.equity)} to ${money(last.equity)} USDT`}
        class={up ? "equity-up" : "equity-down"}
      >
        <path class="equity-area" d={`${line}L${W},${height}L0,${height}Z`} />
        <path class="equity-line" d={line} vector-effect="non-scaling-stroke" />
      </svg>
      <figcaption class="equity-axis">
        <span>{dateOnly(first.time)}</span>
        <span>
          low {money(min)} · high {money(max)}
        </span>
        <span>{dateOnly(last.time)}</span>
      </figcaption>
    </figure>
  );
}
