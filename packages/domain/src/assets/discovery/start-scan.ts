import { and, eq, inArray, sql } from "drizzle-orm";
import { discoveryAllowedNetworks, discoveryScans } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { TooManyRequests } from "../../errors";
import { enqueueTask } from "../../queue/enqueue";
import type { StartScanInput } from "../../schemas/assets-discovery";
import { planScan, type ResolveHost } from "./plan-scan";
import { formatPorts } from "./port-spec";

/**
 * Scans one user may have queued or running at once. Each can hold thousands of sockets
 * on a worker; more would let one person (or one leaked token) crowd out everyone else.
 * A scan asked to cancel no longer counts: it stops within a progress tick.
 */
export const MAX_ACTIVE_SCANS_PER_USER = 3;

/**
 * Validates and counts the probes here, so a refused scan never reaches a worker, then
 * writes the scan and enqueues its job in one transaction (DESIGN.md decision 4).
 */
export async function startScan({ ctx, input }: VerbArgs<StartScanInput & { resolveHost?: ResolveHost }>) {
  const db = ctx.services.db;
  const allowed = await db.select({ cidr: discoveryAllowedNetworks.cidr }).from(discoveryAllowedNetworks);
  const plan = await planScan({
    specs: input.specs,
    ports: input.ports,
    allowedCidrs: allowed.map((a) => a.cidr),
    confirmLarge: input.confirmLarge,
    resolveHost: input.resolveHost,
  });
  const userId = ctx.principal?.userId ?? null;
  return inTransaction(ctx, async (tx) => {
    if (userId) {
      // One user's starts take turns, so two at once cannot both squeeze under the cap.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`discovery-start:${userId}`}, 0))`);
      const [active] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(discoveryScans)
        .where(
          and(
            eq(discoveryScans.requestedBy, userId),
            inArray(discoveryScans.status, ["queued", "running"]),
            eq(discoveryScans.cancelRequested, false),
          ),
        );
      const n = active?.n ?? 0;
      if (n >= MAX_ACTIVE_SCANS_PER_USER) {
        throw new TooManyRequests(
          `You already have ${n} discovery scans queued or running (at most ${MAX_ACTIVE_SCANS_PER_USER} at once): wait for one to finish or cancel one`,
          30,
        );
      }
    }
    const [scan] = await tx
      .insert(discoveryScans)
      .values({
        specs: input.specs,
        ports: plan.ports,
        total: plan.probes,
        concurrency: input.concurrency,
        timeoutMs: input.timeoutMs,
        requestedBy: userId,
      })
      .returning({ id: discoveryScans.id });
    await enqueueTask(tx, "assets:discovery-scan", { scanId: scan!.id });
    await appendAudit(tx, ctx, {
      action: "assets.discovery.start",
      objectType: "discovery_scan",
      objectId: scan!.id,
      changes: { specs: input.specs, ports: formatPorts(plan.ports), addresses: plan.addressCount, probes: plan.probes },
    });
    return { scanId: scan!.id, addressCount: plan.addressCount, total: plan.probes };
  });
}
