import { asc } from "drizzle-orm";
import { discoveryAllowedNetworks } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { formatIpv4, parseSpec } from "./address-spec";

export type AllowedNetworkView = { id: string; cidr: string; note: string; createdAt: string };

export async function listAllowedNetworks({ ctx }: VerbArgs<unknown>): Promise<AllowedNetworkView[]> {
  const rows = await ctx.services.db.select().from(discoveryAllowedNetworks).orderBy(asc(discoveryAllowedNetworks.cidr));
  return rows.map((r) => ({ id: r.id, cidr: r.cidr, note: r.note, createdAt: r.createdAt.toISOString() }));
}

/** "10.0.0.7/24" -> "10.0.0.0/24", "10.0.0.7" -> "10.0.0.7/32": one spelling per network. */
export function normaliseCidr(text: string): string {
  const p = parseSpec(text);
  if (!p.ok || p.spec.kind !== "range") throw new Error(`not a network: ${text}`);
  const { start, end } = p.spec.range;
  return `${formatIpv4(start)}/${32 - Math.log2(end - start + 1)}`;
}

/** Replaces the whole list (the admin edits it as one form); audited with before and after. */
export async function setAllowedNetworks({
  ctx,
  input,
}: VerbArgs<{ cidrs: { cidr: string; note: string }[] }>): Promise<AllowedNetworkView[]> {
  const wanted = new Map<string, string>();
  for (const c of input.cidrs) wanted.set(normaliseCidr(c.cidr), c.note);
  await inTransaction(ctx, async (tx) => {
    const before = await tx.select({ cidr: discoveryAllowedNetworks.cidr }).from(discoveryAllowedNetworks);
    await tx.delete(discoveryAllowedNetworks);
    if (wanted.size) await tx.insert(discoveryAllowedNetworks).values([...wanted].map(([cidr, note]) => ({ cidr, note })));
    await appendAudit(tx, ctx, {
      action: "assets.discovery.allowed_networks_set",
      objectType: "discovery_allowed_networks",
      changes: { from: before.map((b) => b.cidr).sort(), to: [...wanted.keys()].sort() },
    });
  });
  return listAllowedNetworks({ ctx, input: undefined });
}
