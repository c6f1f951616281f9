import { and, eq } from "drizzle-orm";
import { targetRelationships } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { assertPair, type RelationshipInput, type RelationshipResult } from "./add-relationship";

export async function removeRelationship({ ctx, input }: VerbArgs<RelationshipInput>): Promise<RelationshipResult> {
  return ctx.services.db.transaction(async (tx) => {
    const names = await assertPair(tx, input);
    const rows = await tx
      .delete(targetRelationships)
      .where(
        and(
          eq(targetRelationships.fromTargetId, input.fromId),
          eq(targetRelationships.toTargetId, input.toId),
          eq(targetRelationships.kind, input.kind),
        ),
      )
      .returning({ kind: targetRelationships.kind });
    if (rows.length) {
      await appendAudit(tx, ctx, {
        action: "assets.targets.removeRelationship",
        objectType: "target",
        objectId: input.fromId,
        changes: { from: names.from, kind: input.kind, to: names.to, toId: input.toId },
      });
    }
    return { ...input, changed: rows.length > 0 };
  });
}
