// `pnpm --filter @ops/api keys:rotate [--retire <version>]...`: re-seals every stored
// secret under the newest master key version. Run --help for the operator flow.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDb, startEmbeddedPostgres, type EmbeddedDatabase } from "@ops/db";
import { DomainError, rotateMasterKey } from "@ops/domain";
import { ConfigError, loadConfig } from "../config";
import { createLogger } from "../logger";
import { loadApiMasterKeys } from "../services";

const HELP = `Usage: pnpm --filter @ops/api keys:rotate [--retire <version>]... [--batch-size <n>]

Re-encrypts every stored secret (credential vault, MFA secrets) under the newest
master key version in OPS_MASTER_KEY, in batches; safe to interrupt and run again.
Vault entries saved before sealed values were bound to their row are re-sealed in the
bound form too, even when their key version is already the newest.

Rotating the master key:
  1. Generate a key:   node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"
  2. Add it as the next version, keeping the old one, on every API and worker node:
       OPS_MASTER_KEY="1:<old key>,2:<new key>"
     and restart them: new secrets are sealed with the highest version from then on.
  3. Run this command with the same OPS_MASTER_KEY and DATABASE_URL:
       pnpm --filter @ops/api keys:rotate
  4. Confirm nothing still uses the old version (refused, changing nothing, if something does):
       pnpm --filter @ops/api keys:rotate --retire 1
  5. Remove "1:<old key>" from OPS_MASTER_KEY everywhere and restart.

Without OPS_MASTER_KEY the key file <OPS_DATA_DIR>/master.key is used; edit that file the
same way (comma-separated "<version>:<key>"). Without DATABASE_URL the embedded
Postgres in OPS_DATA_DIR is started, so stop OpsConductor first.

Options:
  --retire <n>      a version you intend to remove; repeatable or comma-separated
  --batch-size <n>  rows re-encrypted per transaction (default 500)
  -h, --help        this text`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      retire: { type: "string", multiple: true },
      "batch-size": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const retire = (values.retire ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean)
    .map(Number);
  if (retire.some((v) => !Number.isInteger(v) || v < 1)) {
    console.error("--retire takes key versions: whole numbers from 1");
    return 2;
  }
  const batchSize = Number(values["batch-size"] ?? 500);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    console.error("--batch-size takes a whole number from 1 to 10000");
    return 2;
  }

  const config = loadConfig();
  // Generating a fresh key here (as the API does on first start) would rotate nothing.
  if (!config.OPS_MASTER_KEY && !existsSync(join(config.dataDir, "master.key"))) {
    console.error(`Invalid configuration: OPS_MASTER_KEY is required (no key file ${join(config.dataDir, "master.key")})`);
    return 2;
  }
  const log = createLogger("warn");
  const masterKeys = loadApiMasterKeys(config, log);
  const versions = [...masterKeys.keys.keys()].sort((a, b) => a - b);
  console.log(`master key versions loaded: ${versions.join(", ")} (current: ${masterKeys.current})`);

  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const passwordFile = join(config.dataDir, "postgres.password");
    if (!existsSync(passwordFile)) {
      console.error(`Invalid configuration: DATABASE_URL is required (no embedded database in ${config.dataDir})`);
      return 2;
    }
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.OPS_EMBEDDED_PG_PORT,
      password: readFileSync(passwordFile, "utf8").trim(),
      log: () => {},
    });
    databaseUrl = embedded.url;
  }
  const { db, close } = createDb(databaseUrl, { max: 2 });
  try {
    const started = Date.now();
    const report = await rotateMasterKey({ db, masterKeys, retire, batchSize });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `re-encrypted under version ${report.current}: ${report.credentialsResealed} credential(s), ${report.mfaSecretsResealed} MFA secret(s), ${report.runParamsResealed} run(s) with secret launch values in ${seconds} s`,
    );
    const left = Object.entries(report.remaining).map(([v, n]) => `v${v}: ${n}`);
    console.log(`stored secrets by version: ${left.length ? left.join(", ") : "none"}`);
    if (report.retired.length) console.log(`nothing uses version ${report.retired.join(", ")} any more.`);
    if (report.removable.length) {
      console.log(
        `version ${report.removable.join(", ")} can now be removed from OPS_MASTER_KEY (keep ${report.current}:<key>), then restart every node.`,
      );
    } else {
      console.log("no older version is loaded; nothing to remove.");
    }
    return 0;
  } finally {
    await close();
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error & { cause?: Error };
    if (e instanceof ConfigError || e instanceof DomainError || err.message.startsWith("Invalid configuration")) console.error(err.message);
    else console.error(`key rotation failed: ${err.cause?.message ?? err.message}`);
    process.exit(e instanceof DomainError ? 1 : 2);
  },
);
