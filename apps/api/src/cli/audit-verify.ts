// `pnpm --filter @ops/api audit:verify`: recomputes the audit hash chain of DATABASE_URL.
import { createDb } from "@ops/db";
import { verifyAuditChain } from "@ops/domain";
import { ConfigError, loadConfig } from "../config";

async function main(): Promise<number> {
  const config = loadConfig();
  if (!config.DATABASE_URL) {
    console.error("Invalid configuration: DATABASE_URL is required: the database whose audit log to verify");
    return 2;
  }
  const { db, close } = createDb(config.DATABASE_URL, { max: 1 });
  try {
    const report = await verifyAuditChain(db);
    if (report.ok) {
      console.log(`audit chain OK: ${report.entries} entries`);
      return 0;
    }
    console.log(`audit chain BROKEN at entry #${report.firstBrokenId}`);
    return 1;
  } finally {
    await close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Drizzle wraps driver errors with the whole query; the driver's message is the useful line.
    const err = e as Error & { cause?: Error };
    console.error(e instanceof ConfigError ? err.message : `audit verify failed: ${err.cause?.message ?? err.message}`);
    process.exit(2);
  },
);
