import { createDb } from "@ops/db";

/** Server the benches create their scratch databases on (loopback only). */
const ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export type ScratchDb = { url: string; drop: () => Promise<void> };

/** A fresh, empty database; the API migrates it on start. */
export async function createScratchDb(label: string): Promise<ScratchDb> {
  const name = `ops_bench_${label}_${Date.now().toString(36)}`;
  const admin = createDb(ADMIN_URL, { max: 1 });
  try {
    await admin.sql.unsafe(`CREATE DATABASE ${name}`);
    // Diagnostic: every statement of this database in the server's log, with its duration.
    if (process.env.BENCH_LOG_STATEMENTS) await admin.sql.unsafe(`ALTER DATABASE ${name} SET log_min_duration_statement = 0`);
  } finally {
    await admin.close();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const admin = createDb(ADMIN_URL, { max: 1 });
      try {
        await admin.sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.close();
      }
    },
  };
}
