import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { Logger, runMigrations } from "graphile-worker";
import postgres from "postgres";

// Beside this file in the source tree; from apps/*/dist when bundled (build-server.mjs).
const migrationsFolder = ["../migrations", "../../../packages/db/migrations"]
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((dir) => existsSync(`${dir}/meta/_journal.json`))!;

/** Applies the committed drizzle migrations and graphile-worker's own schema. */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(sql), { migrationsFolder, migrationsSchema: "drizzle" });
  } finally {
    await sql.end({ timeout: 5 });
  }
  await runMigrations({ connectionString: url, logger: quietLogger });
}

const quietLogger = new Logger(() => () => {});
