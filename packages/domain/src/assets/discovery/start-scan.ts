import { discoveryAllowedNetworks, discoveryScans } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { enqueueJob } from "../../jobs/enqueue";
import type { StartScanInput } from "../../schemas/assets-discovery";
import { planScan, type ResolveHost } from "./plan-scan";

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
  return inTransaction(ctx, async (tx) => {
    const [scan] = await tx
      .insert(discoveryScans)
      .values({
        specs: input.specs,
        ports: plan.ports,
        total: plan.probes,
        concurrency: input.concurrency,
        timeoutMs: input.timeoutMs,
        requestedBy: ctx.principal?.userId ?? null,
      })
      .returning({ id: discoveryScans.id });
    await enqueueJob(tx, "assets:discovery-scan", { scanId: scan!.id });
    await appendAudit(tx, ctx, {
      action: "assets.discovery.start",
      objectType: "discovery_scan",
      objectId: scan!.id,
      changes: { specs: input.specs, ports: plan.ports, addresses: plan.addressCount, probes: plan.probes },
    });
    return { scanId: scan!.id, addressCount: plan.addressCount, total: plan.probes };
  });
}
