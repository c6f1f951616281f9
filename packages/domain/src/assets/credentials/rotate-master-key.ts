import { sql } from "drizzle-orm";
import type { Database } from "@ops/db";
import { Conflict, Invalid } from "../../errors";
import { BOUND_FORMAT, isBound, open, seal, type MasterKeys, type SealBinding } from "../../crypto/secret-box";
import { runParamBinding } from "../../automation/runs/run-params";
import { credentialBinding } from "./seal-credential";

export type RotateMasterKeyInput = {
  db: Database;
  masterKeys: MasterKeys;
  /** Versions the operator wants to drop from OPS_MASTER_KEY; refused while anything still uses one. */
  retire?: number[];
  /** Rows re-sealed per transaction. */
  batchSize?: number;
  onProgress?: (p: { table: "credentials" | "mfa" | "run_params"; done: number }) => void;
};

export type RotateMasterKeyReport = {
  current: number;
  credentialsResealed: number;
  mfaSecretsResealed: number;
  /** Runs whose secret launch values were re-sealed. */
  runParamsResealed: number;
  /** Secrets per key version after the rotation (should be only `current`). */
  remaining: Record<number, number>;
  /** Loaded versions that no stored secret uses any more: safe to drop from OPS_MASTER_KEY. */
  removable: number[];
  retired: number[];
};

/**
 * Re-seals every stored secret under the current (highest) master key version, in
 * batches so no transaction holds thousands of row locks and an interrupted run simply
 * resumes where it stopped. Secrets: assets.credentials (secret, passphrase) and
 * identity.users.mfa_secret, and the secret launch values sealed into automation.runs.params
 * (a run's rerun and resume open them). Credentials still in the legacy unbound form are re-sealed
 * bound to their row and column even when their key version is current; MFA secrets
 * keep the form they have (identity/totp.ts opens them unbound).
 */
export async function rotateMasterKey(input: RotateMasterKeyInput): Promise<RotateMasterKeyReport> {
  const { db, masterKeys } = input;
  const current = masterKeys.current;
  const batchSize = input.batchSize ?? 500;
  const retire = [...new Set(input.retire ?? [])].sort((a, b) => a - b);
  if (retire.includes(current)) {
    throw new Invalid(`Version ${current} is the current master key: add a newer version before retiring it`, "retire");
  }

  const before = await countByVersion(db);
  const missing = Object.keys(before)
    .map(Number)
    .filter((v) => v !== current && !masterKeys.keys.has(v));
  if (missing.length) {
    throw new Conflict(
      `Secrets are sealed with master key version ${missing.join(", ")}, which OPS_MASTER_KEY does not hold: add ${missing.map((v) => `${v}:<key>`).join(", ")} back and run again`,
    );
  }

  let credentialsResealed = 0;
  // SKIP LOCKED lets the API keep editing credentials meanwhile; the closing pass waits
  // for any row that was locked so nothing is left behind.
  for (const skipLocked of [true, false]) {
    for (;;) {
      const n = await resealCredentialBatch(db, masterKeys, batchSize, skipLocked);
      credentialsResealed += n;
      if (n) input.onProgress?.({ table: "credentials", done: credentialsResealed });
      if (n < batchSize) break;
    }
  }
  let mfaSecretsResealed = 0;
  for (const skipLocked of [true, false]) {
    for (;;) {
      const n = await resealMfaBatch(db, masterKeys, batchSize, skipLocked);
      mfaSecretsResealed += n;
      if (n) input.onProgress?.({ table: "mfa", done: mfaSecretsResealed });
      if (n < batchSize) break;
    }
  }

  let runParamsResealed = 0;
  // Runs are many and never edited: one pass by id, each row locked only while re-sealed.
  for (let after = "00000000-0000-0000-0000-000000000000"; ;) {
    const batch = await resealRunParamsBatch(db, masterKeys, batchSize, after);
    runParamsResealed += batch.resealed;
    if (batch.resealed) input.onProgress?.({ table: "run_params", done: runParamsResealed });
    if (!batch.lastId) break;
    after = batch.lastId;
  }

  const remaining = await countByVersion(db);
  const stillRetired = retire.filter((v) => (remaining[v] ?? 0) > 0);
  if (stillRetired.length) {
    const n = stillRetired.reduce((sum, v) => sum + (remaining[v] ?? 0), 0);
    throw new Conflict(
      `${n} secret(s) still use master key version ${stillRetired.join(", ")}; keep it in OPS_MASTER_KEY and run the rotation again`,
    );
  }
  const removable = [...masterKeys.keys.keys()].filter((v) => v !== current && !(remaining[v] ?? 0)).sort((a, b) => a - b);
  return { current, credentialsResealed, mfaSecretsResealed, runParamsResealed, remaining, removable, retired: retire };
}

async function resealCredentialBatch(db: Database, keys: MasterKeys, batchSize: number, skipLocked: boolean): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<{ id: string; secret: string; passphrase: string | null }>(sql`
      SELECT id, secret, passphrase FROM assets.credentials
      WHERE key_version <> ${keys.current}
         OR split_part(secret, ':', 2) <> ${BOUND_FORMAT}
         OR split_part(passphrase, ':', 2) <> ${BOUND_FORMAT}
      ORDER BY id LIMIT ${batchSize}
      FOR UPDATE ${skipLocked ? sql`SKIP LOCKED` : sql``}`);
    if (rows.length === 0) return 0;
    const values = rows.map((r) => {
      const what = `credential ${r.id}`;
      const secret = reseal(keys, r.secret, what, credentialBinding(r.id, "secret"), true);
      const passphrase = r.passphrase === null ? null : reseal(keys, r.passphrase, what, credentialBinding(r.id, "passphrase"), true);
      return sql`(${r.id}::uuid, ${secret}, ${passphrase}::text)`;
    });
    await tx.execute(sql`
      UPDATE assets.credentials c
      SET secret = v.secret, passphrase = v.passphrase, key_version = ${keys.current}
      FROM (VALUES ${sql.join(values, sql`, `)}) AS v(id, secret, passphrase)
      WHERE c.id = v.id`);
    return rows.length;
  });
}

async function resealMfaBatch(db: Database, keys: MasterKeys, batchSize: number, skipLocked: boolean): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<{ id: string; mfa_secret: string }>(sql`
      SELECT id, mfa_secret FROM identity.users
      WHERE mfa_secret IS NOT NULL AND split_part(mfa_secret, ':', 1) <> ${`v${keys.current}`}
      ORDER BY id LIMIT ${batchSize}
      FOR UPDATE ${skipLocked ? sql`SKIP LOCKED` : sql``}`);
    if (rows.length === 0) return 0;
    const values = rows.map(
      (r) =>
        sql`(${r.id}::uuid, ${reseal(keys, r.mfa_secret, `the MFA secret of user ${r.id}`, { table: "identity.users", column: "mfa_secret", rowId: r.id }, isBound(r.mfa_secret))})`,
    );
    await tx.execute(sql`
      UPDATE identity.users u SET mfa_secret = v.mfa_secret
      FROM (VALUES ${sql.join(values, sql`, `)}) AS v(id, mfa_secret)
      WHERE u.id = v.id`);
    return rows.length;
  });
}

/**
 * The next `batchSize` runs after `after` that hold a secret launch value sealed under
 * an older key: each sealed value re-sealed, bound to its run and name as before.
 * `lastId` is null once no run is left.
 */
async function resealRunParamsBatch(
  db: Database,
  keys: MasterKeys,
  batchSize: number,
  after: string,
): Promise<{ resealed: number; lastId: string | null }> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<{ id: string; params: Record<string, unknown> }>(sql`
      SELECT id, params FROM automation.runs r
      WHERE id > ${after}::uuid AND EXISTS (
        SELECT 1 FROM jsonb_each(r.params) e
        WHERE jsonb_typeof(e.value) = 'object' AND e.value ? '$sealed'
          AND split_part(e.value->>'$sealed', ':', 1) <> ${`v${keys.current}`})
      ORDER BY id LIMIT ${batchSize}
      FOR UPDATE`);
    if (rows.length === 0) return { resealed: 0, lastId: null };
    const values = rows.map((r) => {
      const params: Record<string, unknown> = { ...r.params };
      for (const [name, value] of Object.entries(r.params)) {
        const sealed = (value as { $sealed?: unknown } | null)?.$sealed;
        if (typeof sealed !== "string") continue;
        params[name] = {
          $sealed: reseal(keys, sealed, `the secret launch value "${name}" of run ${r.id}`, runParamBinding(r.id, name), true),
        };
      }
      return sql`(${r.id}::uuid, ${JSON.stringify(params)}::jsonb)`;
    });
    await tx.execute(sql`
      UPDATE automation.runs r SET params = v.params
      FROM (VALUES ${sql.join(values, sql`, `)}) AS v(id, params)
      WHERE r.id = v.id`);
    return { resealed: rows.length, lastId: rows.at(-1)!.id };
  });
}

/** Opens with the binding (a legacy value opens without it) and seals again, bound when asked. */
function reseal(keys: MasterKeys, sealed: string, what: string, binding: SealBinding, bind: boolean): string {
  let plain: string;
  try {
    plain = open(keys, sealed, binding);
  } catch {
    const version = sealed.slice(0, sealed.indexOf(":"));
    throw new Conflict(
      `Cannot decrypt ${what} with master key ${version}: OPS_MASTER_KEY's key for that version is not the one that sealed it` +
        (isBound(sealed) ? ", or the stored value was altered or copied from another row" : ""),
    );
  }
  return seal(keys, plain, bind ? binding : undefined);
}

/** Stored secrets per master key version, across every sealed column. */
export async function countByVersion(db: Database): Promise<Record<number, number>> {
  const rows = await db.execute<{ version: number; n: number }>(sql`
    SELECT version, sum(n)::int AS n FROM (
      SELECT key_version AS version, count(*) AS n FROM assets.credentials GROUP BY key_version
      UNION ALL
      SELECT substring(mfa_secret FROM '^v([0-9]+):')::int, count(*) FROM identity.users
      WHERE mfa_secret IS NOT NULL GROUP BY 1
      UNION ALL
      SELECT substring(e.value->>'$sealed' FROM '^v([0-9]+):')::int, count(*)
      FROM automation.runs r, jsonb_each(r.params) e
      WHERE jsonb_typeof(e.value) = 'object' AND e.value ? '$sealed' GROUP BY 1
    ) s GROUP BY version`);
  return Object.fromEntries(rows.map((r) => [Number(r.version), Number(r.n)]));
}
