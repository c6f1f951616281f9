import { groups } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import type { GroupView } from "../../schemas/assets-targets";
import { assertGroupNameFree, assertParent, duplicateGroup, isUniqueViolation, toGroupView } from "./group-rules";

export async function createGroup({
  ctx,
  input,
}: VerbArgs<{ name: string; description: string; parentId: string | null }>): Promise<GroupView> {
  return ctx.services.db
    .transaction(async (tx) => {
      await assertGroupNameFree(tx, input.name);
      if (input.parentId) await assertParent(tx, null, input.parentId);
      const [row] = await tx.insert(groups).values(input).returning();
      await appendAudit(tx, ctx, { action: "assets.groups.create", objectType: "group", objectId: row!.id, changes: { ...input } });
      return toGroupView(row!);
    })
    .catch((e: unknown) => {
      if (isUniqueViolation(e)) throw new Conflict(duplicateGroup(input.name));
      throw e;
    });
}
