import { inArray } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { targetRelationships, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Invalid, NotFound } from "../../errors";

export type RelationshipInput = { fromId: string; toId: string; kind: "depends_on" | "runs_on" };
export type RelationshipResult = RelationshipInput & { changed: boolean };

export async function assertPair(db: Executor, input: RelationshipInput) {
  if (input.fromId === input.toId) throw new Invalid("A target cannot be related to itself", "toId");
  const found = await db
    .select({ id: targets.id, name: targets.name })
    .from(targets)
    .where(inArray(targets.id, [input.fromId, input.toId]));
  if (found.length !== 2) throw new NotFound("Target");
  const name = (id: string) => found.find((f) => f.id === id)!.name;
  return { from: name(input.fromId), to: name(input.toId) };
}

/** "from depends on to" / "from runs on to"; adding an existing one changes nothing. */
export async function addRelationship({ ctx, input }: VerbArgs<RelationshipInput>): Promise<RelationshipResult> {
  return ctx.services.db.transaction(async (tx) => {
    const names = await assertPair(tx, input);
    const rows = await tx
      .insert(targetRelationships)
      .values({ fromTargetId: input.fromId, toTargetId: input.toId, kind: input.kind })
      .onConflictDoNothing()
      .returning({ kind: targetRelationships.kind });
    if (rows.length) {
      await appendAudit(tx, ctx, {
        action: "assets.targets.addRelationship",
        objectType: "target",
        objectId: input.fromId,
        changes: { from: names.from, kind: input.kind, to: names.to, toId: input.toId },
      });
    }
    return { ...input, changed: rows.length > 0 };
  });
}
