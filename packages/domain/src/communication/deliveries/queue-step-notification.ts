import { eq } from "drizzle-orm";
import { z } from "zod";
import { notificationChannels, notificationDeliveries, notificationTemplates, runs, type Tx } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { SystemVerbArgs } from "../../context";
import { Invalid } from "../../errors";
import { emailChannelConfig, webhookChannelConfig } from "../../schemas/communication-channels";
import { renderMessage, type MessageScope } from "../render-message";
import { scheduleChannelDelivery } from "./schedule-channel-delivery";

/** The event type a step's delivery is filed under (it has no domain event). */
export const NOTIFY_STEP_EVENT_TYPE = "automation.notify_step";

export type StepNotification = {
  runId: string;
  stepId: string;
  /** The host's ordinal, or null for a step that runs once for the run. */
  ordinal: number | null;
  /** The engine's attempt at the step: a retry is a new message, a replay of the same attempt is not. */
  attempt: number;
  channelId: string;
  templateId?: string | null;
  /** Already rendered by the engine (params, steps, run). */
  subject?: string;
  message: string;
  recipients?: string[];
};

/**
 * A notify step's message (ADR 0016): one `notification_deliveries` row, rendered now so
 * every retry sends the same bytes, and the channel's `communication:deliver` job, in one
 * transaction. The idempotency key names the run, step, host and attempt, so the same
 * attempt run again (a worker lost mid-step) waits on the message it already queued
 * instead of sending a second one. Answers the delivery to wait on.
 */
export async function queueStepNotification({ ctx, input }: SystemVerbArgs<StepNotification>): Promise<{ deliveryId: number }> {
  const key = `step-${input.runId}-${input.stepId}-${input.ordinal ?? "run"}-${input.attempt}`;
  return ctx.services.db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: notificationDeliveries.id })
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.idempotencyKey, key));
    if (existing) return { deliveryId: existing.id };

    const [channel] = await tx.select().from(notificationChannels).where(eq(notificationChannels.id, input.channelId));
    if (!channel) throw new Invalid("The notification channel no longer exists", "channelId");
    if (!channel.enabled) throw new Invalid(`The notification channel "${channel.name}" is disabled`, "channelId");
    const facts = await runFacts(tx, input.runId, input.stepId);
    const message = await buildMessage(tx, channel, input, facts);

    const [row] = await tx
      .insert(notificationDeliveries)
      .values({
        eventId: null,
        eventType: NOTIFY_STEP_EVENT_TYPE,
        channelId: channel.id,
        idempotencyKey: key,
        message,
      })
      .onConflictDoNothing({ target: notificationDeliveries.idempotencyKey })
      .returning({ id: notificationDeliveries.id });
    // A concurrent replay of the same attempt inserted it first: wait on that one.
    if (!row) {
      const [other] = await tx
        .select({ id: notificationDeliveries.id })
        .from(notificationDeliveries)
        .where(eq(notificationDeliveries.idempotencyKey, key));
      return { deliveryId: other!.id };
    }
    await scheduleChannelDelivery(tx, channel.id);
    await appendAudit(tx, ctx, {
      action: "automation.runs.notify",
      objectType: "run",
      objectId: input.runId,
      changes: { step: input.stepId, channel: channel.name, deliveryId: row.id, attempt: input.attempt },
    });
    return { deliveryId: row.id };
  });
}

type Channel = typeof notificationChannels.$inferSelect;
type RunFacts = { run: { id: string; title: string }; step: { id: string; name: string } };

async function runFacts(tx: Tx, runId: string, stepId: string): Promise<RunFacts> {
  const [run] = await tx.select({ title: runs.title, workflow: runs.workflow }).from(runs).where(eq(runs.id, runId));
  const steps = ((run?.workflow as { steps?: { id: string; name: string }[] } | undefined)?.steps ?? []) as { id: string; name: string }[];
  return { run: { id: runId, title: run?.title ?? "" }, step: { id: stepId, name: steps.find((s) => s.id === stepId)?.name ?? stepId } };
}

/** Email: {to, subject, text, html}; webhook: {body} (a JSON text), as the delivery task sends them. */
async function buildMessage(tx: Tx, channel: Channel, input: StepNotification, facts: RunFacts): Promise<Record<string, unknown>> {
  const subject = input.subject?.trim() || `${facts.run.title}: ${facts.step.name}`;
  const template = input.templateId ? await loadTemplate(tx, input.templateId, channel) : null;
  const rendered = template ? renderTemplate(template, subject, input.message, facts) : null;
  if (channel.kind === "email") {
    const config = emailChannelConfig.parse(channel.config);
    const to = input.recipients?.length ? input.recipients.map((r) => r.trim()) : config.defaultRecipients;
    if (to.length === 0) throw new Invalid(`Name the recipients: the channel "${channel.name}" has no default recipients`, "recipients");
    const bad = to.find((r) => !z.email().safeParse(r).success);
    if (bad !== undefined) throw new Invalid(`"${bad}" is not an email address`, "recipients");
    return rendered
      ? { to, subject: rendered.subject, text: rendered.text, html: rendered.html }
      : { to, subject, text: input.message, html: "" };
  }
  if (rendered) return { body: rendered.json };
  const { preset } = webhookChannelConfig.parse(channel.config);
  const body =
    preset === "slack"
      ? { text: `*${subject}*\n${input.message}` }
      : preset === "teams"
        ? { "@type": "MessageCard", "@context": "https://schema.org/extensions", summary: subject, title: subject, text: input.message }
        : { type: NOTIFY_STEP_EVENT_TYPE, run: facts.run, step: facts.step, message: input.message };
  return { body: JSON.stringify(body, null, 2) };
}

async function loadTemplate(tx: Tx, templateId: string, channel: Channel) {
  const [t] = await tx.select().from(notificationTemplates).where(eq(notificationTemplates.id, templateId));
  if (!t) throw new Invalid("The notification template no longer exists", "templateId");
  if (t.kind !== channel.kind)
    throw new Invalid(`The template "${t.name}" is for ${t.kind}, the channel "${channel.name}" is ${channel.kind}`, "templateId");
  return t;
}

/**
 * A notification template renders a step's message as it renders an event: `event.payload`
 * holds {run, step, subject, message}, `event.title` the subject.
 */
function renderTemplate(t: typeof notificationTemplates.$inferSelect, subject: string, message: string, facts: RunFacts) {
  const payload = { run: facts.run, step: facts.step, subject, message };
  const scope: MessageScope = {
    event: {
      id: 0,
      type: NOTIFY_STEP_EVENT_TYPE,
      title: subject,
      description: "",
      severity: "info",
      at: new Date().toISOString(),
      objectType: "run",
      objectId: facts.run.id,
      url: null,
      payload,
      fields: [
        { name: "run.title", value: facts.run.title },
        { name: "step.name", value: facts.step.name },
        { name: "message", value: message },
      ],
    },
    rule: null,
    app: { name: "OpsConductor", url: "" },
  };
  const { rendered, problems } = renderMessage(t, scope);
  if (!rendered) {
    const p = problems[0]!;
    throw new Invalid(`The template "${t.name}" does not render: ${p.field}${p.line ? ` line ${p.line}` : ""}: ${p.message}`, "templateId");
  }
  return rendered;
}

/** Where a step's delivery stands, for the step waiting on it. */
export async function readStepDelivery({ ctx, input }: SystemVerbArgs<{ deliveryId: number }>) {
  const [d] = await ctx.services.db
    .select({
      status: notificationDeliveries.status,
      attempts: notificationDeliveries.attempts,
      lastError: notificationDeliveries.lastError,
      lastStatusCode: notificationDeliveries.lastStatusCode,
    })
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.id, input.deliveryId));
  return d ?? null;
}
