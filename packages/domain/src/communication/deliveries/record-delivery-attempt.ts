import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import type { SystemVerbArgs } from "../../context";
import type { DeliveryStatusValue } from "../../schemas/communication-deliveries";
import type { RetryPolicy } from "../../schemas/communication-channels";
import { TEST_EVENT_TYPE, type ClaimedDelivery } from "./claim-channel-deliveries";
import { retryDelayMs } from "./retry-backoff";

/** What one send did. Secrets never appear in it: senders report the receiver's answer and their own words. */
export type DeliveryOutcome = {
  ok: boolean;
  /** HTTP status, or the SMTP reply code. */
  statusCode: number | null;
  /** The first 1 KB of the response, or the SMTP server's reply. */
  responseExcerpt: string | null;
  error: string | null;
  durationMs: number;
  /** When the attempt started (the worker's clock). */
  at: Date;
  /** Retrying cannot help (the stored message is unusable): dead at once. */
  permanent?: boolean;
};

export type RecordedAttempt = { status: DeliveryStatusValue; attempts: number; nextAttemptAt: Date } | null;

const EXCERPT_CHARS = 1024;
const excerpt = (s: string | null) => (s === null ? null : s.slice(0, EXCERPT_CHARS));

/**
 * Records one attempt of a delivery and moves it on (ADR 0016, decision 4): delivered;
 * or retrying with the next attempt after an exponential, fully jittered wait capped at
 * the channel's `maxBackoffSeconds`; or dead once it has had `maxAttempts` attempts and
 * its first attempt is more than `windowSeconds` ago (whichever comes later). A test send
 * gets one attempt: its failure is reported, not retried. Null when the delivery is no
 * longer pending (deleted, or settled elsewhere): nothing is written then.
 */
export async function recordDeliveryAttempt({
  ctx,
  input,
}: SystemVerbArgs<{
  delivery: Pick<ClaimedDelivery, "id" | "attempts" | "eventType">;
  policy: RetryPolicy;
  outcome: DeliveryOutcome;
}>): Promise<RecordedAttempt> {
  return recordAttemptIn(ctx.services.db, input);
}

/**
 * recordDeliveryAttempt's statement, in the caller's transaction (a send made under the
 * delivery's row lock). Times are the statement's (clock_timestamp), not the transaction's:
 * that transaction began before the send.
 */
export async function recordAttemptIn(
  db: Executor,
  input: { delivery: Pick<ClaimedDelivery, "id" | "attempts" | "eventType">; policy: RetryPolicy; outcome: DeliveryOutcome },
): Promise<RecordedAttempt> {
  const { delivery, policy, outcome: o } = input;
  const final = o.permanent === true || delivery.eventType === TEST_EVENT_TYPE;
  const delayMs = o.ok ? 0 : retryDelayMs(delivery.attempts + 1, policy);
  const at = o.at.toISOString();
  const [row] = await db.execute<{ status: DeliveryStatusValue; attempts: number; next_attempt_at: Date }>(sql`
    WITH upd AS (
      UPDATE communication.notification_deliveries d SET
        attempts = d.attempts + 1,
        first_attempt_at = coalesce(d.first_attempt_at, ${at}::timestamptz),
        last_attempt_at = ${at}::timestamptz,
        last_status_code = ${o.statusCode}::int,
        last_error = ${o.ok ? null : o.error}::text,
        status = CASE
          WHEN ${o.ok}::boolean THEN 'delivered'
          WHEN ${final}::boolean THEN 'dead'
          WHEN d.attempts + 1 >= ${policy.maxAttempts}::int
           AND clock_timestamp() - coalesce(d.first_attempt_at, ${at}::timestamptz) >= make_interval(secs => ${policy.windowSeconds}::int) THEN 'dead'
          ELSE 'retrying' END,
        delivered_at = CASE WHEN ${o.ok}::boolean THEN ${at}::timestamptz ELSE d.delivered_at END,
        next_attempt_at = CASE WHEN ${o.ok}::boolean THEN d.next_attempt_at ELSE clock_timestamp() + make_interval(secs => ${delayMs / 1000}::float8) END
      WHERE d.id = ${delivery.id}::bigint AND d.status IN ('queued', 'retrying')
      RETURNING d.id, d.attempts, d.status, d.next_attempt_at
    ), attempt AS (
      INSERT INTO communication.notification_delivery_attempts (delivery_id, attempt, at, ok, status_code, response_excerpt, error, duration_ms)
      SELECT id, attempts, ${at}::timestamptz, ${o.ok}::boolean, ${o.statusCode}::int, ${excerpt(o.responseExcerpt)}::text, ${o.error}::text, ${Math.round(o.durationMs)}::int
        FROM upd
    )
    SELECT status, attempts, next_attempt_at FROM upd`);
  return row ? { status: row.status, attempts: row.attempts, nextAttemptAt: new Date(row.next_attempt_at) } : null;
}

/**
 * Records many successful attempts in one statement: a healthy receiver costs one write
 * per batch, not two per message. Answers how many were recorded (a delivery settled
 * elsewhere meanwhile is skipped).
 */
export async function recordDeliveredBatch({
  ctx,
  input,
}: SystemVerbArgs<{ delivered: { id: number; outcome: DeliveryOutcome }[] }>): Promise<number> {
  if (input.delivered.length === 0) return 0;
  const rows = input.delivered.map(({ id, outcome: o }) => ({
    id,
    at: o.at.toISOString(),
    status_code: o.statusCode,
    excerpt: excerpt(o.responseExcerpt),
    duration_ms: Math.round(o.durationMs),
  }));
  const [r] = await ctx.services.db.execute<{ n: number }>(sql`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS x(id bigint, at timestamptz, status_code int, excerpt text, duration_ms int)
    ), upd AS (
      UPDATE communication.notification_deliveries d SET
        attempts = d.attempts + 1,
        first_attempt_at = coalesce(d.first_attempt_at, i.at),
        last_attempt_at = i.at,
        last_status_code = i.status_code,
        last_error = NULL,
        status = 'delivered',
        delivered_at = i.at
      FROM input i
      WHERE d.id = i.id AND d.status IN ('queued', 'retrying')
      RETURNING d.id, d.attempts
    ), attempt AS (
      INSERT INTO communication.notification_delivery_attempts (delivery_id, attempt, at, ok, status_code, response_excerpt, error, duration_ms)
      SELECT u.id, u.attempts, i.at, true, i.status_code, i.excerpt, NULL, i.duration_ms FROM upd u JOIN input i ON i.id = u.id
    )
    SELECT count(*)::int AS n FROM upd`);
  return r?.n ?? 0;
}
