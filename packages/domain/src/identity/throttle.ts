import type Redis from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { TooManyRequests } from "../errors";

/**
 * Brute-force protection for sign-in. Three counters:
 *  - per account: at most 100 failures an hour (issue #2);
 *  - per client address: at most 300 failures an hour across accounts;
 *  - per account+address: after 5 consecutive failures each further one blocks for a
 *    growing time (1 s, 2 s, 4 s ... capped at 15 min); success resets it.
 * Redis carries them when configured so every API node sees the same counts.
 */
export type LoginThrottle = {
  check(email: string, ip: string | null): Promise<void>;
  recordFailure(email: string, ip: string | null): Promise<void>;
  recordSuccess(email: string, ip: string | null): Promise<void>;
};

export const LOGIN_LIMITS = { perAccountHour: 100, perIpHour: 300, freeConsecutive: 5, maxDelaySeconds: 900 };

export function createLoginThrottle(redis?: Redis, prefix = "ops:"): LoginThrottle {
  const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
    redis
      ? new RateLimiterRedis({ storeClient: redis, keyPrefix: prefix + keyPrefix, points, duration })
      : new RateLimiterMemory({ keyPrefix, points, duration });
  const perAccount = make("login_fail_account", LOGIN_LIMITS.perAccountHour, 3600);
  const perIp = make("login_fail_ip", LOGIN_LIMITS.perIpHour, 3600);
  const consecutive = make("login_fail_consecutive", 100_000, 3600);

  const accountKey = (email: string) => email.trim().toLowerCase();
  const pairKey = (email: string, ip: string | null) => `${accountKey(email)}|${ip ?? "-"}`;

  async function blockedFor(limiter: RateLimiterAbstract, key: string, limit: number): Promise<number> {
    const res = await limiter.get(key);
    if (!res) return 0;
    if (res.consumedPoints >= limit) return Math.ceil(res.msBeforeNext / 1000);
    return 0;
  }

  return {
    async check(email, ip) {
      const waits = await Promise.all([
        blockedFor(perAccount, accountKey(email), LOGIN_LIMITS.perAccountHour),
        ip ? blockedFor(perIp, ip, LOGIN_LIMITS.perIpHour) : 0,
        consecutive.get(`block|${pairKey(email, ip)}`).then((r) => (r ? Math.ceil(r.msBeforeNext / 1000) : 0)),
      ]);
      const wait = Math.max(...waits);
      if (wait > 0) throw new TooManyRequests(`Too many failed sign-in attempts. Try again in ${wait} s.`, wait);
    },
    async recordFailure(email, ip) {
      const consume = (l: RateLimiterAbstract, k: string) =>
        l.consume(k).catch((e: unknown) => {
          if (e instanceof RateLimiterRes) return e;
          throw e;
        });
      await consume(perAccount, accountKey(email));
      if (ip) await consume(perIp, ip);
      const res = await consume(consecutive, pairKey(email, ip));
      const over = res.consumedPoints - LOGIN_LIMITS.freeConsecutive;
      if (over > 0) {
        const seconds = Math.min(2 ** (over - 1), LOGIN_LIMITS.maxDelaySeconds);
        await consecutive.block(`block|${pairKey(email, ip)}`, seconds);
      }
    },
    async recordSuccess(email, ip) {
      await consecutive.delete(pairKey(email, ip));
    },
  };
}
