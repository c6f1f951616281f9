import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, loadConfig, startServer } from "@ops/api";
import { targets } from "@ops/db";
import { createCredential, globalGrants, loadUserAccess, type DomainContext } from "@ops/domain";
import { startWorker } from "@ops/worker";
import { ensureTestUser } from "../../tooling/test/sshd";
import { createScratchDb } from "./scratch-db";

export type BenchStack = Awaited<ReturnType<typeof startBenchStack>>;

/**
 * The API (without its embedded worker) on a scratch database, a worker beside it in
 * the same process, an admin context for domain verbs, and the test user's SSH key as a
 * credential: what every bench that drives real work through the queue needs.
 */
export async function startBenchStack(
  label: string,
  opts: { workerConcurrency: number; /** Live messages through Redis (else NOTIFY). */ redisUrl?: string },
) {
  const u = await ensureTestUser();
  const scratch = await createScratchDb(label);
  const dataDir = mkdtempSync(join(tmpdir(), "ops-bench-"));
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  let worker: Awaited<ReturnType<typeof startWorker>> | null = null;
  const stop = async () => {
    await worker?.stop().catch(() => {});
    await server?.stop().catch(() => {});
    await scratch.drop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: scratch.url,
      REDIS_URL: opts.redisUrl,
      PORT: "0",
      HOST: "127.0.0.1",
      OPS_LOG_LEVEL: "silent",
      OPS_DATA_DIR: dataDir,
      OPS_ADMIN_EMAIL: "bench-admin@example.com",
      OPS_ADMIN_PASSWORD: "bench-password-0123456789",
    });
    server = await startServer(config, createLogger("silent"), { withWorker: false });
    const { services } = server;
    const db = services.db;
    worker = await startWorker({
      databaseUrl: server.databaseUrl,
      db,
      identity: services.identity,
      masterKeys: services.masterKeys,
      log: createLogger("silent"),
      concurrency: opts.workerConcurrency,
      discovery: { portableSockets: false },
      redis: opts.redisUrl ? { url: opts.redisUrl, prefix: config.OPS_REDIS_PREFIX } : null,
    });
    const admin = await db.query.users.findFirst({ where: (x, { eq }) => eq(x.email, "bench-admin@example.com") });
    const access = await loadUserAccess(db, admin!.id);
    const ctx: DomainContext = {
      services,
      principal: { userId: admin!.id, email: admin!.email, displayName: "bench", via: "session", grants: globalGrants(access.permissions) },
      meta: { ip: "127.0.0.1", userAgent: "bench", requestId: null },
    };
    const credential = await createCredential({
      ctx,
      input: { name: "bench key", kind: "ssh_key", username: u.user, description: "", secret: u.privateKey },
    });
    /** One target per endpoint, signing in with the bench key; answers their ids in order. */
    const createTargets = async (endpoints: { address: string; port: number }[], prefix = "bench") => {
      const ids: string[] = [];
      for (let i = 0; i < endpoints.length; i += 1000) {
        const rows = await db
          .insert(targets)
          .values(endpoints.slice(i, i + 1000).map((e, j) => ({ name: `${prefix}-${i + j}`, ...e, credentialId: credential.id })))
          .returning({ id: targets.id });
        ids.push(...rows.map((r) => r.id));
      }
      return ids;
    };
    return { server, services, db, ctx, user: u, url: server.url, databaseUrl: server.databaseUrl, createTargets, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
