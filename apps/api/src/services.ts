import { join } from "node:path";
import { Redis } from "ioredis";
import { createDb } from "@ops/db";
import {
  createLivePublisher,
  createLiveSubscriber,
  createLoginThrottle,
  loadMasterKeys,
  type MasterKeys,
  type Services,
} from "@ops/domain";
import type { Config } from "./config";
import type { Logger } from "./logger";
import { redisUpGauge } from "./metrics";
import { createPrincipalResolver, type PrincipalResolver } from "./auth/resolve-principal";

export type ApiServices = Services & {
  principals: PrincipalResolver;
  redis: Redis | null;
  /** Null when fine (or Redis is not configured), else what is wrong, for /readyz. */
  ping(): Promise<{ postgres: string | null; redis: string | null }>;
  close(): Promise<void>;
};

/** Everything long-lived a node needs, wired once (single node, or many with Redis). */
export async function createServices(config: Config, databaseUrl: string, log: Logger): Promise<ApiServices> {
  const { db, sql, close: closeDb } = createDb(databaseUrl, { max: 20 });
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false })
    : null;
  // Subscriber connections subscribe again on every "ready" themselves (below, and in the
  // live subscriber). ioredis' own re-subscribe has no catch: Redis going away again right
  // after coming back rejected it unhandled, which ends a Node process.
  const subscriberConnection = () => redis?.duplicate({ autoResubscribe: false }) ?? null;
  const subscriber = subscriberConnection();
  const PRINCIPALS_CHANNEL = `${config.OPS_REDIS_PREFIX}principals-changed`;
  // Invalidations other nodes published while this one was cut off are lost: drop the
  // whole principal cache when Redis is back rather than serve them up to its TTL.
  const redisLink = redis && subscriber ? watchRedis([redis, subscriber], log, () => services.principals.clear()) : null;

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
  // Live messages (ADR 0012): out through Redis while up, else NOTIFY; in from both.
  services.live = createLivePublisher({ db, redis, prefix: config.OPS_REDIS_PREFIX });
  services.liveEvents = createLiveSubscriber({
    listen: (channel, onNotify) => sql.listen(channel, onNotify),
    redis: subscriberConnection(),
    prefix: config.OPS_REDIS_PREFIX,
    onError: (e) => log.warn({ err: e.message }, "live messages: listen failed; subscriptions poll until it works"),
  });
  services.principals = createPrincipalResolver(services);
  services.onPrincipalsChanged = (userIds) => {
    services.principals.invalidateUsers(userIds);
    void redis?.publish(PRINCIPALS_CHANNEL, JSON.stringify(userIds)).catch(() => {});
  };
  if (subscriber) {
    // On every (re)connection, not once: a subscribe attempted while Redis was down fails,
    // and ioredis only re-subscribes channels that once succeeded. A Redis outage never
    // stops the API from starting.
    subscriber.on("ready", () => {
      subscriber.subscribe(PRINCIPALS_CHANNEL).catch((e: Error) => log.warn({ err: e.message }, "redis subscribe failed"));
    });
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
      redis && redisLink ? pingRedis(redis, redisLink) : Promise.resolve(null),
    ]);
    return { postgres, redis: r };
  };
  services.close = async () => {
    await services.live?.close();
    await services.liveEvents?.close();
    redisLink?.close();
    subscriber?.disconnect();
    redis?.disconnect();
    await closeDb();
  };
  return services;
}

type RedisLink = { state(): "connecting" | "up" | "down"; close(): void };

/**
 * Follows this node's Redis connections (commands and subscriber). Without Redis the node
 * keeps serving on in-process fallbacks (login throttle, cache invalidation on this node
 * only); the change is reported once, not per request: a warning, the ops_redis_up gauge
 * and /readyz's body. ioredis reconnects by itself; `onBack` runs once both are ready again.
 */
function watchRedis(clients: Redis[], log: Logger, onBack: () => void): RedisLink {
  const gauge = redisUpGauge();
  let state: "connecting" | "up" | "down" = "connecting";
  let closed = false;
  gauge.set(0);
  const ready = () => {
    if (closed || state === "up" || !clients.every((c) => c.status === "ready")) return;
    if (state === "down") {
      log.info("Redis is reachable again: rate limits, cache invalidation and pub/sub go through it again");
      onBack();
    }
    state = "up";
    gauge.set(1);
  };
  const lost = (err?: Error) => {
    if (closed || state === "down") return;
    state = "down";
    gauge.set(0);
    log.warn(
      { err: err?.message },
      "Redis is unreachable: this node keeps serving on in-process fallbacks (rate limits and cache invalidation on this node only) until it is back",
    );
  };
  for (const c of clients) {
    c.on("ready", ready);
    c.on("error", (e: Error) => lost(e));
    c.on("close", () => lost());
    c.on("end", () => lost());
  }
  return {
    state: () => state,
    close: () => void (closed = true),
  };
}

async function pingRedis(redis: Redis, link: RedisLink): Promise<string | null> {
  // While it is known to be down, say so at once: a ping would wait for a reconnect.
  if (link.state() === "down") return "redis: unreachable";
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve("redis: no answer within 1 s"), 1_000)));
  try {
    return await Promise.race([
      redis.ping().then(
        () => null,
        (e: Error) => `redis: ${e.message}`,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
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
