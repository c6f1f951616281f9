// Master-key rotation at scale: 10,000 credentials sealed under v1 in a scratch
// database, then rotateMasterKey to v2, timed. Standalone: `pnpm --filter @ops/bench exec tsx key-rotation.ts`.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createDb, createTemplateDatabase, credentials, dropDatabase } from "@ops/db";
import { credentialBinding, open, parseMasterKeys, rotateMasterKey, seal } from "@ops/domain";
import { fmt, record } from "./lib/report";

const SERVER_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const COUNT = 10_000;
const TARGET_SECONDS = 10;

/** Sizes like the real thing: RSA-4096 PEM with a passphrase, ed25519 keys, passwords. */
function plainSecret(i: number): { secret: string; passphrase: string | null; kind: "ssh_key" | "ssh_password" } {
  if (i % 3 === 0)
    return { secret: randomBytes(2_500).toString("base64"), passphrase: randomBytes(12).toString("base64"), kind: "ssh_key" };
  if (i % 3 === 1) return { secret: randomBytes(310).toString("base64"), passphrase: null, kind: "ssh_key" };
  return { secret: randomBytes(18).toString("base64"), passphrase: null, kind: "ssh_password" };
}

export async function keyRotation() {
  console.log(`\n== key rotation: ${fmt(COUNT)} credentials from master key v1 to v2 (rotateMasterKey, batches of 500)`);
  const name = `ops_bench_keyrot_${Date.now().toString(36)}`;
  const url = await createTemplateDatabase(SERVER_URL, name);
  const { db, sql, close } = createDb(url, { max: 4 });
  try {
    const v1Spec = `1:${randomBytes(32).toString("base64")}`;
    const v2Spec = `2:${randomBytes(32).toString("base64")}`;
    const v1 = parseMasterKeys(v1Spec);
    const plain = Array.from({ length: COUNT }, (_, i) => plainSecret(i));
    for (let start = 0; start < COUNT; start += 1_000) {
      await db.insert(credentials).values(
        plain.slice(start, start + 1_000).map((p, j) => ({
          name: `bench-${start + j}`,
          kind: p.kind,
          username: "deploy",
          secret: seal(v1, p.secret),
          passphrase: p.passphrase === null ? null : seal(v1, p.passphrase),
          keyVersion: 1,
        })),
      );
    }
    await sql.unsafe("VACUUM ANALYZE assets.credentials");

    const started = performance.now();
    const report = await rotateMasterKey({ db, masterKeys: parseMasterKeys(`${v1Spec},${v2Spec}`), batchSize: 500 });
    const seconds = (performance.now() - started) / 1000;

    // Correctness, not only speed: every row is v2 and opens with v2 alone.
    const v2Only = parseMasterKeys(v2Spec);
    const rows = await db
      .select({
        id: credentials.id,
        name: credentials.name,
        secret: credentials.secret,
        passphrase: credentials.passphrase,
        keyVersion: credentials.keyVersion,
      })
      .from(credentials);
    const wrong = rows.filter((r) => {
      const p = plain[Number(r.name.slice("bench-".length))]!;
      return (
        r.keyVersion !== 2 ||
        // Rotation re-seals bound to the row: opened with that binding, as the worker does.
        open(v2Only, r.secret, credentialBinding(r.id, "secret")) !== p.secret ||
        (r.passphrase === null ? p.passphrase !== null : open(v2Only, r.passphrase, credentialBinding(r.id, "passphrase")) !== p.passphrase)
      );
    }).length;
    const ok = report.credentialsResealed === COUNT && wrong === 0;
    record({
      bench: "key-rotation",
      metric: `re-encrypt ${fmt(COUNT)} credentials v1 -> v2 (${ok ? "all verified" : `${wrong} wrong, ${report.credentialsResealed} re-sealed`})`,
      value: `${fmt(seconds, 2)} s (${fmt(COUNT / seconds)} rows/s)`,
      target: `${fmt(COUNT)} credentials under ${TARGET_SECONDS} s`,
      pass: ok && seconds < TARGET_SECONDS,
    });
  } finally {
    await close();
    await dropDatabase(SERVER_URL, name);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  keyRotation().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`key rotation bench could not run: ${(e as Error).stack ?? e}`);
      process.exit(1);
    },
  );
}
