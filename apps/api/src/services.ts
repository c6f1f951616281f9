import { join } from "node:path";
import { Redis } from "ioredis";
import { createDb } from "@ops/db";
import { createLoginThrottle, loadMasterKeys, type MasterKeys, type Services } from "@ops/domain";
import type { Config } from "./config";
import type { Logger } from "./logger";
import { createPrincipalResolver, type PrincipalResolver } from "./auth/resolve-principal";

export type ApiServices = Services & {
  principals: PrincipalResolver;
  redis: Redis | null;
  ping(): Promise<{ postgres: string | null; redis: string | null }>;
  close(): Promise<void>;
};

/** Everything long-lived a node needs, wired once (single node, or many with Redis). */
export async function createServices(config: Config, databaseUrl: string, log: Logger): Promise<ApiServices> {
  const { db, sql, close: closeDb } = createDb(databaseUrl, { max: 20 });
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false })
    : null;
  const subscriber = redis?.duplicate() ?? null;
  const PRINCIPALS_CHANNEL = `${config.OPS_REDIS_PREFIX}principals-changed`;
  redis?.on("error", (e) => log.warn({ err: e.message }, "redis error"));
  subscriber?.on("error", () => {});

  const services = {
    db,
    masterKeys: loadApiMasterKeys(config, log),
    masterKeySource: config.OPS_MASTER_KEY
      ? { generated: false, file: null }
      : { generated: true, file: join(config.dataDir, "master.key") },
    throttle: createLoginThrottle(redis ?? undefined, config.OPS_REDIS_PREFIX),
    identity: {
      sessionIdleMinutes: config.OPS_SESSION_IDLE_MINUTES,
      sessionAbsoluteHours: config.OPS_SESSION_ABSOLUTE_HOURS,
      publicUrl: config.publicUrl,
    },
    redis,
  } as ApiServices;
  services.principals = createPrincipalResolver(services);
  services.onPrincipalsChanged = (userIds) => {
    services.principals.invalidateUsers(userIds);
    void redis?.publish(PRINCIPALS_CHANNEL, JSON.stringify(userIds)).catch(() => {});
  };
  if (subscriber) {
    // Not awaited: a Redis outage must not stop the API from starting; /readyz reports it
    // and ioredis re-subscribes when Redis returns.
    subscriber.subscribe(PRINCIPALS_CHANNEL).catch((e: Error) => log.warn({ err: e.message }, "redis subscribe failed"));
    subscriber.on("message", (_channel, message: string) => {
      try {
        services.principals.invalidateUsers(JSON.parse(message) as string[]);
      } catch {
        /* ignore malformed */
      }
    });
  }
  services.ping = async () => {
    const [postgres, r] = await Promise.all([
      sql`SELECT 1`.then(
        () => null,
        (e: Error) => `postgres: ${e.message}`,
      ),
      redis
        ? redis.ping().then(
            () => null,
            (e: Error) => `redis: ${e.message}`,
          )
        : Promise.resolve(null),
    ]);
    return { postgres, redis: r };
  };
  services.close = async () => {
    subscriber?.disconnect();
    redis?.disconnect();
    await closeDb();
  };
  return services;
}

export function loadApiMasterKeys(config: Config, log: Logger): MasterKeys {
  return loadMasterKeys({
    envKey: config.OPS_MASTER_KEY,
    dataDir: config.dataDir,
    onGenerated: (file) =>
      log.warn(
        { file },
        "GENERATED A MASTER KEY in the data directory. Secrets are encrypted with it: back it up, or set OPS_MASTER_KEY. Losing it loses every stored secret.",
      ),
  });
}
