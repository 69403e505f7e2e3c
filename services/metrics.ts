/**
 * Prometheus metrics: a small registry of counters, gauges and histograms
 * rendered in the text exposition format at GET /metrics. The HTTP layer
 * records `http_requests_total` and `http_request_duration_seconds`; other
 * modules add their own (pipeline lag, orders by outcome, ...).
 *
 * @example
 * ```ts
 * const orders = metrics.counter("aura_orders_total", "Orders by outcome", ["outcome"]);
 * orders.inc({ outcome: "filled" });
 * ```
 * @module
 */

/** Label values by label name. */
export type Labels = Record<string, string>;

/** A monotonically increasing count. */
export interface Counter {
  /** Adds `value` (default 1). */
  inc(labels?: Labels, value?: number): void;
}

/** A value that goes up and down. */
export interface Gauge {
  /** Sets the value. */
  set(value: number, labels?: Labels): void;
}

/** A distribution of observations in fixed buckets. */
export interface Histogram {
  /** Records one observation. */
  observe(value: number, labels?: Labels): void;
}

/** Default latency buckets in seconds (1 ms … 5 s). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  labelNames: readonly string[];
  render(): string[];
}

const escape = (v: string) =>
  v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");

function labelKey(names: readonly string[], labels: Labels = {}): string {
  return names.map((n) => `${n}="${escape(labels[n] ?? "")}"`).join(",");
}

const wrap = (key: string, extra = "") => {
  const inner = [key, extra].filter(Boolean).join(",");
  return inner ? `{${inner}}` : "";
};

/** The registry behind /metrics. */
export class MetricsRegistry {
  readonly #families = new Map<string, Family & { metric: unknown }>();

  #get<T>(name: string, make: () => Family & { metric: T }): T {
    const existing = this.#families.get(name);
    if (existing) return existing.metric as T;
    const family = make();
    this.#families.set(name, family);
    return family.metric;
  }

  /** Returns the counter `name`, creating it on first use. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#get(name, () => {
      const values = new Map<string, number>();
      return {
        name,
        help,
        type: "counter",
        labelNames,
        metric: {
          inc: (labels?: Labels, value = 1) => {
            const k = labelKey(labelNames, labels);
            values.set(k, (values.get(k) ?? 0) + value);
          },
        },
        render: () => [...values].map(([k, v]) => `${name}${wrap(k)} ${v}`),
      };
    });
  }

  /** Returns the gauge `name`, creating it on first use. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#get(name, () => {
      const values = new Map<string, number>();
      return {
        name,
        help,
        type: "gauge",
        labelNames,
        metric: {
          set: (value: number, labels?: Labels) => values.set(labelKey(labelNames, labels), value),
        },
        render: () => [...values].map(([k, v]) => `${name}${wrap(k)} ${v}`),
      };
    });
  }

  /** Returns the histogram `name`, creating it on first use. */
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = LATENCY_BUCKETS,
  ): Histogram {
    return this.#get(name, () => {
      const series = new Map<string, { counts: number[]; sum: number; count: number }>();
      return {
        name,
        help,
        type: "histogram",
        labelNames,
        metric: {
          observe: (value: number, labels?: Labels) => {
            const k = labelKey(labelNames, labels);
            let s = series.get(k);
            if (!s) {
              s = { counts: buckets.map(() => 0), sum: 0, count: 0 };
              series.set(k, s);
            }
            for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) s.counts[i]!++;
            s.sum += value;
            s.count++;
          },
        },
        render: () =>
          [...series].flatMap(([k, s]) => [
            ...buckets.map((b, i) => `${name}_bucket${wrap(k, `le="${b}"`)} ${s.counts[i]}`),
            `${name}_bucket${wrap(k, 'le="+Inf"')} ${s.count}`,
            `${name}_sum${wrap(k)} ${s.sum}`,
            `${name}_count${wrap(k)} ${s.count}`,
          ]),
      };
    });
  }

  /** Renders every family in the Prometheus text format. */
  render(): string {
    const lines: string[] = [];
    for (const f of this.#families.values()) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.render());
    }
    return lines.join("\n") + "\n";
  }
}

/**
 * The process's registry: main.ts hands it to the HTTP layer, and modules
 * that are not given one (the pipeline in the same process) add their
 * gauges and counters here so /metrics shows them.
 */
export const processMetrics: MetricsRegistry = new MetricsRegistry();
