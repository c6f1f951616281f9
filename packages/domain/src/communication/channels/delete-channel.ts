import { eq } from "drizzle-orm";
import { notificationChannels, notificationRules, users } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import { actorOf } from "../../identity/users/user-view";
import { loadChannelRow } from "./channel-view";
import { assertMayManageChannelKind } from "./check-channel";

/** Deletes a channel no rule uses (its delivery history goes with it); refused naming the rules that do. */
export async function deleteChannel({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ id: string }> {
  actorOf(ctx);
  return inTransaction(ctx, async (tx) => {
    const row = await loadChannelRow(tx, input.id, true);
    assertMayManageChannelKind(ctx.principal, row.kind);
    const using = await tx
      .select({ name: notificationRules.name, owner: users.email })
      .from(notificationRules)
      .leftJoin(users, eq(users.id, notificationRules.ownerUserId))
      .where(eq(notificationRules.channelId, row.id))
      .orderBy(notificationRules.name);
    if (using.length) {
      const names = using.map((r) => (r.owner ? `"${r.name}" (subscription of ${r.owner})` : `"${r.name}"`));
      throw new Conflict(
        `The channel "${row.name}" is used by ${using.length === 1 ? "the rule" : `${using.length} rules:`} ${names.join(", ")}; change or delete ${using.length === 1 ? "it" : "them"} first`,
      );
    }
    await tx.delete(notificationChannels).where(eq(notificationChannels.id, row.id));
    await appendAudit(tx, ctx, {
      action: "notifications.channel.delete",
      objectType: "notification_channel",
      objectId: row.id,
      changes: { name: row.name, kind: row.kind },
    });
    return { id: row.id };
  });
}
