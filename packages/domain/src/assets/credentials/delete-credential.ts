import { eq, sql } from "drizzle-orm";
import { credentials, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import { actorOf } from "../../identity/users/user-view";
import { loadCredentialRow, targetsUsing } from "./credential-view";

/**
 * Refused while any target uses it: the foreign key would silently unset it there and
 * the next run on those hosts would fail to sign in.
 */
export async function deleteCredential({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ id: string }> {
  actorOf(ctx);
  return ctx.services.db.transaction(async (tx) => {
    // FOR UPDATE conflicts with the key-share lock a target insert/update takes on its
    // referenced credential, so no target can start using it while we count.
    const row = await loadCredentialRow(tx, input.id, true);
    const [used] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(targets)
      .where(targetsUsing(row.id));
    const n = used?.n ?? 0;
    if (n > 0) {
      throw new Conflict(`Used by ${n} target${n === 1 ? "" : "s"} as credential or become credential; assign them another one first`);
    }
    await tx.delete(credentials).where(eq(credentials.id, row.id));
    await appendAudit(tx, ctx, {
      action: "assets.credentials.delete",
      objectType: "credential",
      objectId: row.id,
      changes: { name: row.name, kind: row.kind, username: row.username, fingerprint: row.publicKeyFingerprint },
    });
    return { id: row.id };
  });
}
