import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Database = ReturnType<typeof createDb>["db"];
/** A transaction handle has the same query surface as the database. */
export type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type Executor = Database | Tx;

/** Seconds a new connection may take before its query fails (postgres.js waits 30 s by default). */
export const CONNECT_TIMEOUT_SECONDS = 5;

export function createDb(url: string, options: { max?: number; connectTimeoutSeconds?: number } = {}) {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connect_timeout: options.connectTimeoutSeconds ?? CONNECT_TIMEOUT_SECONDS,
    // postgres.js waits before reconnecting a closed connection, by default up to 20 s and
    // growing with every failed attempt anywhere in the pool: a 2 s database restart under
    // load left queries stalled 14 s and the pool idle long after the server was back. A
    // connection is only retried when a query needs it, so a short, capped wait is enough.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.25),
  });
  const db = drizzle(preparing(sql), { schema, casing: "snake_case" });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/**
 * The client drizzle queries through, with every parameterised query prepared (named) on
 * its connection. drizzle asks postgres.js for unnamed statements unless a query is given
 * a name, and postgres.js then sends each one as Parse + Describe, waits for the answer,
 * then Bind + Execute: two round trips and a fresh plan per query. Prepared, a query costs
 * one round trip and reuses its plan after the first run on that connection. postgres.js
 * keeps one statement per query text per connection until the connection is recycled
 * (`max_lifetime`, 30-60 min by default), as it does for its own tagged templates.
 * Transactions and savepoints hand out clients that prepare too.
 */
function preparing<T extends postgres.Sql>(client: T): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "unsafe")
        return (query: string, args?: unknown[], options?: Record<string, unknown>) =>
          target.unsafe(query, args as never, { ...options, prepare: Array.isArray(args) && args.length > 0 });
      if (prop === "begin" || prop === "savepoint")
        return (...a: unknown[]) => {
          const fn = a.pop() as (tx: postgres.Sql) => unknown;
          const open = Reflect.get(target, prop, target) as (...x: unknown[]) => unknown;
          return open.apply(target, [...a, (tx: postgres.Sql) => fn(preparing(tx))]);
        };
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * Error codes meaning "the database cannot be reached right now", as opposed to "this
 * query is wrong": socket errors, postgres.js' own connection codes, and the server's
 * connection-exception / shutting-down / starting-up / too-many-connections states.
 */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
  "53300", // too_many_connections
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);

/** True when `e` (or an error it wraps, as drizzle's "Failed query" does) says the database is unreachable. */
export function isDatabaseUnreachable(e: unknown): boolean {
  let x: unknown = e;
  for (let depth = 0; x && typeof x === "object" && depth < 5; depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
    x = (x as { cause?: unknown }).cause;
  }
  return false;
}
