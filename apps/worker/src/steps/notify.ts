import { queueStepNotification, readStepDelivery, withdrawStepNotification, type StepDeliveryState } from "@ops/domain";
import { sleep } from "./wait";
import type { StepContext, StepHandler, StepRunResult } from "./types";

/** How often a notify step looks at its delivery; the send itself is the channel's `communication:deliver` job. */
const POLL_MS = 500;

const WITHDRAWN = "message withdrawn: not sent";

/**
 * Sends a message through a notification channel and waits for it (ADR 0016): the
 * delivery is queued by the domain (queueStepNotification) and sent in the channel's order
 * by `communication:deliver`. Delivered: the step succeeds. Dead-lettered: it fails with the
 * last error. Still not sent at the step's timeout, or when the run is cancelled: the message
 * is withdrawn (never sent later) and the step fails or is cancelled saying so; a send in
 * flight at that moment is waited for and its result is the step's.
 */
export const notify: StepHandler<"notify"> = {
  kind: "notify",
  async run(config, ctx) {
    const { deliveryId } = await queueStepNotification({
      ctx: ctx.system,
      input: {
        runId: ctx.runId,
        stepId: ctx.stepId,
        ordinal: ctx.ordinal,
        attempt: ctx.attempt,
        channelId: config.channelId,
        templateId: config.templateId ?? null,
        subject: config.subject,
        message: config.message,
        recipients: config.recipients,
      },
    });
    ctx.line(3, `[notification queued (delivery ${deliveryId})]`);
    const deadline = Date.now() + ctx.timeoutMs;
    let attemptsSeen = 0;
    const gone = () => fail(ctx, `the delivery ${deliveryId} was deleted before it was sent`);
    for (;;) {
      const d = await readStepDelivery({ ctx: ctx.system, input: { deliveryId } });
      if (!d) return gone();
      if (d.attempts > attemptsSeen && d.status !== "delivered" && d.lastError) {
        ctx.line(3, `[attempt ${d.attempts} failed: ${d.lastError}]`);
      }
      attemptsSeen = d.attempts;
      const settled = settledResult(ctx, d);
      if (settled) return settled;
      const stopped = ctx.signal.aborted;
      const left = deadline - Date.now();
      if (stopped || left <= 0) {
        const w = await withdrawStepNotification({
          ctx: ctx.system,
          input: { deliveryId, runId: ctx.runId, stepId: ctx.stepId, reason: stopped ? "stopped" : "timeout" },
        });
        if (!w) return gone();
        // A send in flight when the wait ended was waited for: it went out, or it failed.
        const after = w.withdrawn ? null : settledResult(ctx, w);
        if (after) return after;
        if (w.withdrawn) ctx.line(3, `[${WITHDRAWN}]`);
        const note = w.withdrawn ? `; ${WITHDRAWN}` : "";
        if (stopped)
          return { state: "cancelled", exitCode: null, error: `cancelled: stopped waiting for the notification${note}`, captured: "" };
        const s = Math.round(ctx.timeoutMs / 1000);
        return fail(
          ctx,
          `notification not delivered within ${s} s${w.lastError ? `: ${w.lastError}` : w.withdrawn ? "" : " (not sent yet)"}${note}`,
        );
      }
      await sleep(Math.min(POLL_MS, left), ctx.signal);
    }
  },
};

/** The step's result once its delivery is delivered or dead; null while it may still go out. */
function settledResult(ctx: StepContext, d: StepDeliveryState): StepRunResult | null {
  if (d.status === "delivered") {
    ctx.line(3, `[notification delivered${d.lastStatusCode ? ` (${d.lastStatusCode})` : ""}]`);
    return { state: "succeeded", exitCode: 0, error: null, captured: "" };
  }
  if (d.status === "dead") return fail(ctx, `notification not delivered after ${d.attempts} attempts: ${d.lastError ?? "dead-lettered"}`);
  if (d.status === "withdrawn") return fail(ctx, `notification not delivered: ${WITHDRAWN}`);
  return null;
}

function fail(ctx: StepContext, error: string): StepRunResult {
  ctx.line(3, `[${error}]`);
  return { state: "failed", exitCode: null, error, captured: "" };
}
