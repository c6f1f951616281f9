import { and, eq, inArray, sql } from "drizzle-orm";
import { discoveryResults, discoveryScans, groups, targetGroups, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { rememberHostKey } from "../host-keys/known-hosts";
import { inTransaction, type VerbArgs } from "../../context";
import { Forbidden, NotFound } from "../../errors";
import { can } from "../../permissions";
import { assertCredential } from "../targets/target-rules";
import type { ImportResultsInput } from "../../schemas/assets-discovery";

const MAX_NAME_SUFFIX = 50;

/**
 * Selected results become targets in one step: named from reverse DNS (or the address),
 * made unique; in the group, with the labels and credential given. Holders of
 * hostkeys.accept also pin the host key the scan saw (docs/adr/0008).
 */
export async function importResults({ ctx, input }: VerbArgs<ImportResultsInput>) {
  if (!can(ctx.principal, "targets.manage")) throw new Forbidden('Importing creates targets: you need the "targets.manage" permission too');
  // A target given a credential will sign in with it (issue 6 point 4): the importer must be allowed to use it.
  if (input.credentialId && !can(ctx.principal, "credentials.use")) {
    throw new Forbidden('Giving the imported targets a credential needs the "credentials.use" permission');
  }
  return inTransaction(ctx, async (tx) => {
    const [scan] = await tx.select({ id: discoveryScans.id }).from(discoveryScans).where(eq(discoveryScans.id, input.scanId));
    if (!scan) throw new NotFound("Scan");
    if (input.groupId) {
      const [g] = await tx.select({ id: groups.id }).from(groups).where(eq(groups.id, input.groupId));
      if (!g) throw new NotFound("Group");
    }
    // Same rules as a target edited by hand: the credential must exist and be a login kind.
    const loginName = input.credentialId ? await assertCredential(tx, input.credentialId, "login") : null;
    // Pinning the scanned key is a trust decision: only for hostkeys.accept holders;
    // otherwise the first successful connection test pins it (trust on first use).
    const pin = can(ctx.principal, "hostkeys.accept");
    const ids = [...new Set(input.resultIds)];
    const rows = await tx
      .select()
      .from(discoveryResults)
      .where(and(eq(discoveryResults.scanId, input.scanId), inArray(discoveryResults.id, ids)))
      .orderBy(sql`${discoveryResults.address}::inet`, discoveryResults.port)
      .for("update");
    const byId = new Map(rows.map((r) => [r.id, r]));
    const skipped: { resultId: string; reason: string }[] = [];
    for (const id of ids) if (!byId.has(id)) skipped.push({ resultId: id, reason: "not a result of this scan" });
    const todo = rows.filter((r) => {
      if (r.importedAt) skipped.push({ resultId: r.id, reason: "already imported" });
      else if (r.match !== "new") skipped.push({ resultId: r.id, reason: `already a target (${r.match.replace(/_/g, " ")})` });
      else return true;
      return false;
    });
    if (!todo.length) return { targetIds: [], skipped };

    // Unique names (case-insensitive, like the index): try the base, base-port, base-2...
    const candidatesOf = (r: (typeof todo)[number]) => {
      const base = (r.reverseDns ?? r.address).replace(/\.$/, "");
      const list = [base, ...(r.port !== 22 ? [`${base}-${r.port}`] : [])];
      for (let i = 2; i <= MAX_NAME_SUFFIX; i++) list.push(`${base}-${i}`);
      return list;
    };
    const all = todo.flatMap(candidatesOf).map((n) => n.toLowerCase());
    const taken = new Set(
      (
        await tx
          .select({ n: sql<string>`lower(${targets.name})` })
          .from(targets)
          .where(inArray(sql`lower(${targets.name})`, all))
      ).map((r) => r.n),
    );
    const now = new Date();
    const values = todo.map((r) => {
      const name = candidatesOf(r).find((n) => !taken.has(n.toLowerCase())) ?? `${r.address}-${r.port}-${r.id.slice(0, 8)}`;
      taken.add(name.toLowerCase());
      return {
        name,
        address: r.address,
        port: r.port,
        labels: input.labels ?? {},
        credentialId: input.credentialId ?? null,
        description: r.banner ? `Discovered: ${r.banner}` : "Discovered",
        hostKeyType: pin ? r.hostKeyType : null,
        hostKeyFingerprint: pin ? r.hostKeyFingerprint : null,
        hostKeyPinnedAt: pin && r.hostKeyFingerprint ? now : null,
      };
    });
    const created = await tx.insert(targets).values(values).returning({ id: targets.id, address: targets.address, port: targets.port });
    if (input.groupId) await tx.insert(targetGroups).values(created.map((t) => ({ targetId: t.id, groupId: input.groupId! })));
    // A pinned scan key is trusted for its endpoint too, as an accepted key is (ADR 0008).
    for (const r of pin ? todo : []) {
      if (r.hostKeyFingerprint) await rememberHostKey(tx, r, { type: r.hostKeyType, fingerprint: r.hostKeyFingerprint });
    }
    // One statement for all of them (at most 1,000: the input limit), as commit-import does.
    const links = JSON.stringify(todo.map((r, i) => ({ id: r.id, target_id: created[i]!.id })));
    await tx.execute(sql`
      UPDATE assets.discovery_results d SET target_id = v.target_id, imported_at = ${now.toISOString()}::timestamptz, match = 'known'
      FROM jsonb_to_recordset(${links}::jsonb) AS v(id uuid, target_id uuid)
      WHERE d.id = v.id`);
    await appendAudit(tx, ctx, {
      action: "assets.discovery.import",
      objectType: "discovery_scan",
      objectId: input.scanId,
      changes: {
        targets: created.map((t, i) => ({ id: t.id, name: values[i]!.name, address: t.address, port: t.port })),
        groupId: input.groupId ?? null,
        labels: input.labels ?? {},
        // Not "credential…": the audit redactor hides values under such keys.
        login: loginName,
        pinnedHostKeys: pin,
        skipped: skipped.length,
      },
    });
    return { targetIds: created.map((t) => t.id), skipped };
  });
}
