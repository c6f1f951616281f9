import { eq } from "drizzle-orm";
import { discoveryScans } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import type { ScanView } from "../../schemas/assets-discovery";
import { toScanViews } from "./scan-view";

export async function getScan({ ctx, input }: VerbArgs<{ scanId: string }>): Promise<ScanView> {
  const db = ctx.services.db;
  const [scan] = await db.select().from(discoveryScans).where(eq(discoveryScans.id, input.scanId));
  if (!scan) throw new NotFound("Scan");
  return (await toScanViews(db, [scan]))[0]!;
}
