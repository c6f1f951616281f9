import { and, eq, sql } from "drizzle-orm";
import { discoveryScans } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Conflict, NotFound } from "../../errors";
import type { ScanView } from "../../schemas/assets-discovery";
import { toScanViews } from "./scan-view";

/**
 * A queued scan is cancelled at once; a running one is flagged and its worker stops
 * within one progress tick (about 250 ms), keeping what it found so far.
 */
export async function cancelScan({ ctx, input }: VerbArgs<{ scanId: string }>): Promise<ScanView> {
  return inTransaction(ctx, async (tx) => {
    const [scan] = await tx.select().from(discoveryScans).where(eq(discoveryScans.id, input.scanId)).for("update");
    if (!scan) throw new NotFound("Scan");
    if (scan.status !== "queued" && scan.status !== "running") throw new Conflict(`The scan has already finished (${scan.status})`);
    const [row] = await tx
      .update(discoveryScans)
      .set(scan.status === "queued" ? { cancelRequested: true, status: "cancelled", finishedAt: sql`now()` } : { cancelRequested: true })
      .where(and(eq(discoveryScans.id, input.scanId)))
      .returning();
    await appendAudit(tx, ctx, { action: "assets.discovery.cancel", objectType: "discovery_scan", objectId: input.scanId });
    return (await toScanViews(tx, [row!]))[0]!;
  });
}
