import { scheduleChannelDelivery } from "../deliveries/schedule-channel-delivery";
import { eq, sql } from "drizzle-orm";
import { notificationChannels } from "@ops/db";
import { appendAudit, diff } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Invalid } from "../../errors";
import { isUniqueViolation } from "../../assets/credentials/credential-view";
import { actorOf } from "../../identity/users/user-view";
import { channelInput, type ChannelInput, type ChannelView } from "../../schemas/communication-channels";
import { channelAuditFields, channelConfigOf, loadChannelRow, loadChannelView } from "./channel-view";
import { assertChannelCredentials, assertChannelNameFree, assertMayManageChannelKind, assertWebhookUrlAllowed } from "./check-channel";

/** The checks every save runs, in the order a form shows them: permission, name, address, credentials. */
async function checkChannel(
  ctx: VerbArgs<unknown>["ctx"],
  tx: Parameters<typeof assertChannelNameFree>[0],
  c: ReturnType<typeof channelInput.parse>,
  exceptId?: string,
) {
  assertMayManageChannelKind(ctx.principal, c.kind);
  await assertChannelNameFree(tx, c.name, exceptId);
  if (c.kind === "webhook") await assertWebhookUrlAllowed(tx, c.config.url);
  await assertChannelCredentials(tx, ctx.principal, c.kind, c.config);
}

const duplicate = (name: string) => (e: unknown) => {
  // Two saves of one name at once: the unique index decides, the form hears it at the name.
  if (isUniqueViolation(e)) throw new Invalid(`A channel named "${name}" already exists`, "name");
  throw e;
};

export async function createChannel({ ctx, input }: VerbArgs<ChannelInput>): Promise<ChannelView> {
  const actor = actorOf(ctx);
  const c = channelInput.parse(input);
  return ctx.services.db
    .transaction(async (tx) => {
      await checkChannel(ctx, tx, c);
      const [row] = await tx
        .insert(notificationChannels)
        .values({ name: c.name, kind: c.kind, enabled: c.enabled, config: c.config, retry: c.retry, createdBy: actor.userId })
        .returning({ id: notificationChannels.id });
      await appendAudit(tx, ctx, {
        action: "notifications.channel.create",
        objectType: "notification_channel",
        objectId: row!.id,
        changes: channelAuditFields(c),
      });
      return loadChannelView(tx, row!.id);
    })
    .catch(duplicate(c.name));
}

/** Replaces a channel's settings (the form sends the whole channel); its kind never changes. */
export async function updateChannel({ ctx, input }: VerbArgs<{ id: string; channel: ChannelInput }>): Promise<ChannelView> {
  actorOf(ctx);
  const c = channelInput.parse(input.channel);
  return ctx.services.db
    .transaction(async (tx) => {
      const before = await loadChannelRow(tx, input.id, true);
      // Moving a webhook to email would otherwise dodge webhooks.manage.
      assertMayManageChannelKind(ctx.principal, before.kind);
      if (before.kind !== c.kind)
        throw new Invalid(`A channel's kind cannot change (this one is ${before.kind}); create a new channel instead`, "kind");
      await checkChannel(ctx, tx, c, before.id);
      await tx
        .update(notificationChannels)
        .set({ name: c.name, enabled: c.enabled, config: c.config, retry: c.retry, updatedAt: sql`now()` })
        .where(eq(notificationChannels.id, before.id));
      // Re-enabled, or its settings fixed: what waited in its queue goes out now, not at its next retry.
      if (c.enabled) await scheduleChannelDelivery(tx, before.id);
      const changes = diff(channelAuditFields({ ...before, config: channelConfigOf(before) }), channelAuditFields(c));
      await appendAudit(tx, ctx, {
        action: "notifications.channel.update",
        objectType: "notification_channel",
        objectId: before.id,
        changes: { name: c.name, ...changes },
      });
      return loadChannelView(tx, before.id);
    })
    .catch(duplicate(c.name));
}
