import { eq } from "drizzle-orm";
import { targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { loadTargetRow } from "./target-view";

/** Targets that used this one as a jump host lose it (FK set null); tests and relationships cascade. */
export async function deleteTarget({ ctx, input }: VerbArgs<{ id: string }>): Promise<{ id: string; deleted: true }> {
  return ctx.services.db.transaction(async (tx) => {
    const before = await loadTargetRow(tx, input.id, true);
    await tx.delete(targets).where(eq(targets.id, input.id));
    await appendAudit(tx, ctx, {
      action: "assets.targets.delete",
      objectType: "target",
      objectId: input.id,
      changes: { name: before.name, address: before.address, port: before.port, labels: before.labels },
    });
    return { id: input.id, deleted: true as const };
  });
}
