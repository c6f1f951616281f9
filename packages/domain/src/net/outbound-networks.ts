import { asc } from "drizzle-orm";
import { outboundAllowedNetworks } from "@ops/db";
import { appendAudit } from "../audit/append";
import { inTransaction, type SystemVerbArgs, type VerbArgs } from "../context";
import type { OutboundNetworkView } from "../schemas/outbound-networks";
import { parseNetwork, type IpNetwork } from "./cidr";

export async function listOutboundNetworks({ ctx }: VerbArgs<unknown>): Promise<OutboundNetworkView[]> {
  const rows = await ctx.services.db.select().from(outboundAllowedNetworks).orderBy(asc(outboundAllowedNetworks.cidr));
  return rows.map((r) => ({ id: r.id, cidr: r.cidr, note: r.note, createdAt: r.createdAt.toISOString() }));
}

/** Replaces the whole list; audited with before and after. */
export async function setOutboundNetworks({
  ctx,
  input,
}: VerbArgs<{ networks: { cidr: string; note: string }[] }>): Promise<OutboundNetworkView[]> {
  const wanted = new Map<string, string>();
  for (const n of input.networks) {
    const p = parseNetwork(n.cidr);
    if (!p.ok) throw new Error(p.message);
    wanted.set(p.cidr, n.note);
  }
  await inTransaction(ctx, async (tx) => {
    const before = await tx.select({ cidr: outboundAllowedNetworks.cidr }).from(outboundAllowedNetworks);
    await tx.delete(outboundAllowedNetworks);
    if (wanted.size) {
      const createdBy = ctx.principal?.userId ?? null;
      await tx.insert(outboundAllowedNetworks).values([...wanted].map(([cidr, note]) => ({ cidr, note, createdBy })));
    }
    await appendAudit(tx, ctx, {
      action: "communication.outbound_networks.set",
      objectType: "outbound_allowed_networks",
      changes: { from: before.map((b) => b.cidr).sort(), to: [...wanted.keys()].sort() },
    });
  });
  return listOutboundNetworks({ ctx, input: undefined });
}

/** The allow-list as networks, for the worker's outbound checks (http.request, webhooks). */
export async function loadOutboundAllowList({ ctx }: SystemVerbArgs<unknown>): Promise<IpNetwork[]> {
  const rows = await ctx.services.db.select({ cidr: outboundAllowedNetworks.cidr }).from(outboundAllowedNetworks);
  return rows.flatMap((r) => {
    const p = parseNetwork(r.cidr);
    return p.ok ? [p.network] : [];
  });
}
