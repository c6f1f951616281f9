import { sql } from "drizzle-orm";
import { appendAudit } from "../../audit/append";
import type { SystemVerbArgs } from "../../context";
import type { DeliveryStatusValue } from "../../schemas/communication-deliveries";
import type { RetryPolicy } from "../../schemas/communication-channels";
import type { ClaimedDelivery } from "./claim-channel-deliveries";
import { recordAttemptIn, type DeliveryOutcome, type RecordedAttempt } from "./record-delivery-attempt";
import { NOTIFY_STEP_EVENT_TYPE } from "./queue-step-notification";

/**
 * Deliveries a sender may have to give up before sending (ADR 0016, "As built"): a notify
 * step's message, withdrawn when the step times out or its run is cancelled.
 */
export const isWithdrawable = (d: Pick<ClaimedDelivery, "eventType">) => d.eventType === NOTIFY_STEP_EVENT_TYPE;

/**
 * Sends a withdrawable delivery under its row lock: it goes out only if it is still pending
 * when the lock is taken, and its attempt is recorded before the lock is let go. A withdrawal
 * waits for a send in flight, so a send either completes and is recorded as such, or never
 * starts. Null when it was withdrawn (or settled elsewhere) after the sender read it.
 */
export async function sendUnlessWithdrawn({
  ctx,
  input,
}: SystemVerbArgs<{
  delivery: Pick<ClaimedDelivery, "id" | "attempts" | "eventType">;
  policy: RetryPolicy;
  send: () => Promise<DeliveryOutcome>;
}>): Promise<{ outcome: DeliveryOutcome; recorded: RecordedAttempt } | null> {
  return ctx.services.db.transaction(async (tx) => {
    const [held] = await tx.execute<{ attempts: number }>(sql`
      SELECT attempts FROM communication.notification_deliveries
       WHERE id = ${input.delivery.id}::bigint AND status IN ('queued', 'retrying') FOR UPDATE`);
    if (!held) return null;
    const outcome = await input.send();
    // The attempts counted now, not when the batch was read: the retry backoff grows from them.
    const delivery = { ...input.delivery, attempts: held.attempts };
    return { outcome, recorded: await recordAttemptIn(tx, { delivery, policy: input.policy, outcome }) };
  });
}

export type StepDeliveryState = {
  status: DeliveryStatusValue;
  attempts: number;
  lastError: string | null;
  lastStatusCode: number | null;
};

export type WithdrawOutcome = ({ withdrawn: boolean } & StepDeliveryState) | null;

const RUN_OVER = sql`('succeeded', 'failed', 'cancelled', 'timed_out')`;

/**
 * Takes back a notify step's message that has not been sent (ADR 0016, "As built"): its
 * status becomes `withdrawn`, the sender skips it, and the channel's queue moves on to the
 * next message. `timeout`: the step gave up waiting (a retry of the step is a new message).
 * `stopped`: the step's wait was aborted; withdrawn only when the run is cancelled or over,
 * not when this worker merely lost the run's lease (the worker taking over waits on the same
 * message). A send in flight is waited for (the sender holds the row while it sends):
 * the answer is then what it became. Null when the delivery is gone.
 */
export async function withdrawStepNotification({
  ctx,
  input,
}: SystemVerbArgs<{ deliveryId: number; runId: string; stepId: string; reason: "timeout" | "stopped" }>): Promise<WithdrawOutcome> {
  return ctx.services.db.transaction(async (tx) => {
    const [d] = await tx.execute<{
      status: DeliveryStatusValue;
      attempts: number;
      last_error: string | null;
      last_status_code: number | null;
    }>(sql`
      SELECT status, attempts, last_error, last_status_code FROM communication.notification_deliveries
       WHERE id = ${input.deliveryId}::bigint FOR UPDATE`);
    if (!d) return null;
    const state: StepDeliveryState = {
      status: d.status,
      attempts: d.attempts,
      lastError: d.last_error,
      lastStatusCode: d.last_status_code,
    };
    if (d.status !== "queued" && d.status !== "retrying") return { withdrawn: false, ...state };
    if (input.reason === "stopped") {
      const [over] = await tx.execute<{ over: boolean }>(sql`
        SELECT (cancel_requested_at IS NOT NULL OR state IN ${RUN_OVER}) AS over FROM automation.runs WHERE id = ${input.runId}`);
      if (over && !over.over) return { withdrawn: false, ...state };
    }
    await tx.execute(sql`UPDATE communication.notification_deliveries SET status = 'withdrawn' WHERE id = ${input.deliveryId}::bigint`);
    await appendAudit(tx, ctx, {
      action: "notifications.delivery.withdraw",
      objectType: "notification_delivery",
      objectId: String(input.deliveryId),
      changes: {
        status: { from: d.status, to: "withdrawn" },
        reason: input.reason === "timeout" ? "the step timed out" : "the run was cancelled or ended",
        runId: input.runId,
        step: input.stepId,
        attempts: d.attempts,
      },
    });
    return { withdrawn: true, ...state, status: "withdrawn" };
  });
}
