import { sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { groups, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Invalid } from "../../errors";
import type { ImportInput } from "../../schemas/assets-targets";
import type { ImportColumn } from "./read-import-rows";
import { planImport, type ExistingTarget, type PlannedRow } from "./plan-import";
import { credentialAccess } from "./preview-import";

const CHUNK = 2000;
const lower = (s: string) => s.toLowerCase();

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

async function eachChunk<T>(list: T[], fn: (json: string) => Promise<unknown>) {
  for (const c of chunks(list)) await fn(JSON.stringify(c));
}

export type ImportResult = { created: number; updated: number; skipped: number; groupsCreated: number };

/**
 * Re-checks the file inside one transaction and writes all of it or nothing; any bad row
 * refuses the whole import. Columns missing from the file leave existing values alone.
 */
export async function commitImport({ ctx, input }: VerbArgs<ImportInput>): Promise<ImportResult> {
  return ctx.services.db.transaction(async (tx) => {
    // One import at a time, and no jump-host edit in between the check and the write.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('assets.targets.import'))`);
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('assets.targets.jump_hosts'))`);
    const plan = await planImport(tx, input, credentialAccess(ctx));
    const bad = plan.rows.filter((r) => r.errors.length);
    if (bad.length) {
      const first = bad[0]!;
      throw new Invalid(`${bad.length} row(s) are invalid (line ${first.line}: ${first.errors[0]}); nothing was imported`, "content");
    }
    if (!plan.rows.length) throw new Invalid("The file has no rows to import", "content");

    const groupsCreated = plan.preview.groupsToCreate.length
      ? (
          await tx
            .insert(groups)
            .values(plan.preview.groupsToCreate.map((name) => ({ name })))
            .onConflictDoNothing()
            .returning({ id: groups.id })
        ).length
      : 0;
    const groupIds = new Map((await tx.select({ id: groups.id, name: groups.name }).from(groups)).map((g) => [lower(g.name), g.id]));
    const cred = (name: string | null) => (name ? plan.credentialIds.get(lower(name))! : null);

    const creates = plan.rows.filter((r) => r.action === "create");
    const updates = plan.rows.filter((r) => r.action === "update");
    const idOf = new Map<string, string>();
    for (const part of chunks(creates)) {
      const ids = await tx
        .insert(targets)
        .values(
          part.map(({ target: t }) => ({
            name: t!.name,
            address: t!.address,
            port: t!.port,
            osFamily: t!.osFamily,
            description: t!.description,
            labels: t!.labels,
            credentialId: cred(t!.credential),
            becomeCredentialId: cred(t!.becomeCredential),
          })),
        )
        .returning({ id: targets.id, name: targets.name });
      for (const r of ids) idOf.set(lower(r.name), r.id);
    }
    const merged = updates.map((r) => mergeUpdate(r, plan.existing.get(lower(r.target!.name))!, cred));
    for (const r of updates) idOf.set(lower(r.target!.name), r.existingId!);
    await eachChunk(merged, (json) =>
      tx.execute(sql`
        UPDATE assets.targets t SET name = v.name, address = v.address, port = v.port, os_family = v.os_family,
          description = v.description, labels = v.labels, credential_id = v.credential_id,
          become_credential_id = v.become_credential_id, updated_at = now()
        FROM jsonb_to_recordset(${json}::jsonb) AS v(id uuid, name text, address text, port int, os_family text,
          description text, labels jsonb, credential_id uuid, become_credential_id uuid)
        WHERE t.id = v.id`),
    );

    // Jump hosts last: they may name rows created just above.
    const written = [...creates, ...updates];
    const jumpRows = written.filter((r) => r.present.has("jump_host"));
    const jumpNames = [
      ...new Set(
        jumpRows
          .map((r) => r.target!.jumpHost)
          .filter((n): n is string => !!n)
          .map(lower),
      ),
    ];
    const missing = jumpNames.filter((n) => !idOf.has(n));
    if (missing.length) {
      const found = await tx.execute<{ id: string; name: string }>(
        sql`SELECT id, name FROM assets.targets WHERE lower(name) IN (SELECT jsonb_array_elements_text(${JSON.stringify(missing)}::jsonb))`,
      );
      for (const f of found) idOf.set(lower(f.name), f.id);
    }
    const jumps = jumpRows.map((r) => ({
      id: idOf.get(lower(r.target!.name)),
      jump_host_id: r.target!.jumpHost ? idOf.get(lower(r.target!.jumpHost)) : null,
    }));
    await eachChunk(jumps, (json) =>
      tx.execute(sql`UPDATE assets.targets t SET jump_host_id = v.jump_host_id
        FROM jsonb_to_recordset(${json}::jsonb) AS v(id uuid, jump_host_id uuid) WHERE t.id = v.id`),
    );

    await replaceMemberships(
      tx,
      written.filter((r) => r.present.has("groups")),
      idOf,
      groupIds,
    );

    const result = {
      created: creates.length,
      updated: updates.length,
      skipped: plan.rows.filter((r) => r.action === "skip").length,
      groupsCreated,
    };
    await appendAudit(tx, ctx, {
      action: "assets.targets.import",
      objectType: "target",
      changes: { format: input.format, onExisting: input.onExisting, ...result, groupsAdded: plan.preview.groupsToCreate },
    });
    return result;
  });
}

function mergeUpdate(r: PlannedRow, before: ExistingTarget, cred: (n: string | null) => string | null) {
  const t = r.target!;
  const has = (c: ImportColumn) => r.present.has(c);
  return {
    id: before.id,
    name: t.name,
    address: has("address") ? t.address : before.address,
    port: has("port") ? t.port : before.port,
    os_family: has("os_family") ? t.osFamily : before.osFamily,
    description: has("description") ? t.description : before.description,
    labels: has("labels") ? t.labels : before.labels,
    credential_id: has("credential") ? cred(t.credential) : before.credentialId,
    become_credential_id: has("become_credential") ? cred(t.becomeCredential) : before.becomeCredentialId,
  };
}

async function replaceMemberships(tx: Executor, rows: PlannedRow[], idOf: Map<string, string>, groupIds: Map<string, string>) {
  if (!rows.length) return;
  const ids = rows.map((r) => idOf.get(lower(r.target!.name))!);
  await eachChunk(ids, (json) =>
    tx.execute(sql`DELETE FROM assets.target_groups WHERE target_id IN (SELECT (jsonb_array_elements_text(${json}::jsonb))::uuid)`),
  );
  const pairs = rows.flatMap((r) =>
    r.target!.groups.map((g) => ({ target_id: idOf.get(lower(r.target!.name))!, group_id: groupIds.get(lower(g))! })),
  );
  await eachChunk(pairs, (json) =>
    tx.execute(sql`INSERT INTO assets.target_groups (target_id, group_id)
      SELECT target_id, group_id FROM jsonb_to_recordset(${json}::jsonb) AS v(target_id uuid, group_id uuid) ON CONFLICT DO NOTHING`),
  );
}
