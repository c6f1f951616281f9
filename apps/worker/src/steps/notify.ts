import { queueStepNotification, readStepDelivery } from "@ops/domain";
import { sleep } from "./wait";
import type { StepHandler } from "./types";

/** How often a notify step looks at its delivery; the send itself is the channel's `communication:deliver` job. */
const POLL_MS = 500;

/**
 * Sends a message through a notification channel and waits for it (ADR 0016): the
 * delivery is queued by the domain (queueStepNotification) and sent in the channel's order
 * by `communication:deliver`. Delivered: the step succeeds. Dead-lettered, or still not
 * delivered at the step's timeout: it fails with the last error. Cancel stops the wait;
 * the queued message is not taken back.
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
    for (;;) {
      const d = await readStepDelivery({ ctx: ctx.system, input: { deliveryId } });
      if (!d) return fail(ctx, `the delivery ${deliveryId} was deleted before it was sent`);
      if (d.attempts > attemptsSeen && d.status !== "delivered" && d.lastError) {
        ctx.line(3, `[attempt ${d.attempts} failed: ${d.lastError}]`);
      }
      attemptsSeen = d.attempts;
      if (d.status === "delivered") {
        ctx.line(3, `[notification delivered${d.lastStatusCode ? ` (${d.lastStatusCode})` : ""}]`);
        return { state: "succeeded", exitCode: 0, error: null, captured: "" };
      }
      if (d.status === "dead")
        return fail(ctx, `notification not delivered after ${d.attempts} attempts: ${d.lastError ?? "dead-lettered"}`);
      if (ctx.signal.aborted)
        return { state: "cancelled", exitCode: null, error: "cancelled: stopped waiting for the notification", captured: "" };
      const left = deadline - Date.now();
      if (left <= 0) {
        const s = Math.round(ctx.timeoutMs / 1000);
        return fail(ctx, `notification not delivered within ${s} s${d.lastError ? `: ${d.lastError}` : " (not sent yet)"}`);
      }
      await sleep(Math.min(POLL_MS, left), ctx.signal);
    }
  },
};

function fail(ctx: Parameters<StepHandler<"notify">["run"]>[1], error: string) {
  ctx.line(3, `[${error}]`);
  return { state: "failed" as const, exitCode: null, error, captured: "" };
}
