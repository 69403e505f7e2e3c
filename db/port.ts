/**
 * The storage port: one small interface both drivers implement (postgres-js
 * for a real server, PGlite embedded). Same SQL (`$1` placeholders), same
 * migrations, same repositories on both. BIGINT and DECIMAL come back as
 * strings, TIMESTAMPTZ as `Date`, JSONB as parsed values.
 *
 * @module
 */

/** A result row. */
export type Row = Record<string, unknown>;

/** What runs queries: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one statement with `$n` parameters and returns its rows. Pass JSON parameters as objects. */
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

/** The storage port. */
export interface Db extends Queryable {
  /** Which driver backs this instance. */
  readonly kind: "postgres" | "pglite";
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to a NOTIFY channel; resolves to an unsubscribe function. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  /** Sends a NOTIFY on `channel`. */
  notify(channel: string, payload: string): Promise<void>;
  /** Closes connections; idempotent. */
  close(): Promise<void>;
}
