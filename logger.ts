/**
 * Structured logging: JSON lines on stdout, levels DEBUG/INFO/WARN/ERROR/FATAL,
 * and entries at or above a configurable level persisted to `system_logs`
 * (batched). Known secret-bearing keys are redacted before anything is written.
 *
 * @module
 */
import type { LogEntry } from "./db/logs.ts";

/** Log levels in increasing severity. */
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, FATAL: 50 };

/** Metadata of an entry; `userId` is lifted into its own column. */
export type LogMetadata = Record<string, unknown> & { userId?: number | null };

/** A service's logger. */
export interface Logger {
  /** Debug detail. */
  debug(message: string, metadata?: LogMetadata): void;
  /** Normal operation. */
  info(message: string, metadata?: LogMetadata): void;
  /** Something to look at. */
  warn(message: string, metadata?: LogMetadata): void;
  /** A failure. */
  error(message: string, metadata?: LogMetadata): void;
  /** The process cannot go on. */
  fatal(message: string, metadata?: LogMetadata): void;
}

/** Where persisted entries go (a batch insert into system_logs). */
export type LogSink = (entries: LogEntry[]) => Promise<void>;

interface State {
  level: LogLevel;
  persistLevel: LogLevel;
  sink: LogSink | null;
  buffer: LogEntry[];
  timer: ReturnType<typeof setTimeout> | null;
  write: (line: string) => void;
  flushing: Promise<void>;
}

const state: State = {
  level: "INFO",
  persistLevel: "WARN",
  sink: null,
  buffer: [],
  timer: null,
  write: (line) => console.log(line),
  flushing: Promise.resolve(),
};

/** Sets levels, the persistence sink and (for tests) the line writer. */
export function configureLogging(options: {
  level?: LogLevel;
  persistLevel?: LogLevel;
  sink?: LogSink | null;
  write?: (line: string) => void;
}): void {
  if (options.level) state.level = options.level;
  if (options.persistLevel) state.persistLevel = options.persistLevel;
  if (options.sink !== undefined) state.sink = options.sink;
  if (options.write) state.write = options.write;
}

const SECRET_KEY =
  /secret|password|passwd|token|authorization|api[-_]?key|master|signature|cookie|private/i;

/** Copies `value` with every secret-bearing key replaced by "[REDACTED]". */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Date) return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? "[REDACTED]" : redact(v, depth + 1);
  }
  return out;
}

/**
 * Persists entries logged elsewhere (a Web Worker's logger forwards its
 * entries here, since the sink writes through this thread's database).
 */
export function persistLogEntries(entries: readonly LogEntry[]): Promise<void> {
  if (!state.sink || entries.length === 0) return Promise.resolve();
  state.buffer.push(...entries);
  return flushLogs();
}

/** Writes buffered entries to the sink now. */
export function flushLogs(): Promise<void> {
  if (state.timer !== null) {
    clearTimeout(state.timer);
    state.timer = null;
  }
  const sink = state.sink;
  const batch = state.buffer.splice(0);
  if (!sink || batch.length === 0) return state.flushing;
  state.flushing = state.flushing.then(() =>
    sink(batch).catch((error) => {
      state.write(JSON.stringify({
        time: new Date().toISOString(),
        level: "ERROR",
        service: "logger",
        message: "Could not persist log entries",
        error: String((error as Error)?.message ?? error),
        dropped: batch.length,
      }));
    })
  );
  return state.flushing;
}

function emit(service: string, level: LogLevel, message: string, metadata?: LogMetadata) {
  if (RANK[level] < RANK[state.level] && RANK[level] < RANK[state.persistLevel]) return;
  const now = new Date();
  const { userId, ...rest } = metadata ?? {};
  const clean = redact(rest) as Record<string, unknown>;
  if (RANK[level] >= RANK[state.level]) {
    state.write(JSON.stringify({
      time: now.toISOString(),
      level,
      service,
      message,
      ...(userId != null ? { userId } : {}),
      ...clean,
    }));
  }
  if (state.sink && RANK[level] >= RANK[state.persistLevel]) {
    state.buffer.push({
      timestamp: now,
      level,
      service,
      message,
      metadata: Object.keys(clean).length ? clean : null,
      userId: userId ?? null,
    });
    if (state.buffer.length >= 100) void flushLogs();
    else if (state.timer === null) state.timer = setTimeout(() => void flushLogs(), 250);
  }
}

/**
 * A logger for `service`.
 *
 * @example
 * ```ts
 * const log = createLogger("execution");
 * log.warn("OCO rejected", { userId: 7, symbol: "BTCUSDT" });
 * ```
 */
export function createLogger(service: string): Logger {
  return {
    debug: (m, md) => emit(service, "DEBUG", m, md),
    info: (m, md) => emit(service, "INFO", m, md),
    warn: (m, md) => emit(service, "WARN", m, md),
    error: (m, md) => emit(service, "ERROR", m, md),
    fatal: (m, md) => emit(service, "FATAL", m, md),
  };
}
