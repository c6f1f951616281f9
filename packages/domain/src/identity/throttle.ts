import type Redis from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { TooManyRequests } from "../errors";

/**
 * Brute-force protection for sign-in, with no hard lock an attacker could use to keep
 * someone out (issue 6, point 12). Every attempt is counted atomically BEFORE the
 * password is verified and refunded when it turns out right, so parallel or batched
 * guesses cannot all pass a check that only later records their failure (point 6).
 *
 *  - per account and client address: 5 attempts, then one attempt per 30 s, 1 min,
 *    2 min ... (at most 15 min apart, counted for an hour) until a success from that
 *    address ends the streak;
 *  - per account, across addresses: past 100 failures an hour the account is under
 *    attack, and each address gets 1 attempt before those delays instead of 5. It slows
 *    a distributed guesser; it never locks: the owner, from an address with no failures
 *    on the account, always gets an immediate attempt;
 *  - per client address, across accounts: 300 failures an hour, then that address waits
 *    (password spraying).
 *
 * Redis carries the counters when configured, so every API node sees the same counts.
 * When Redis is unreachable each counter falls back to this process's memory (the
 * limits then hold per node) and Redis is used again as soon as it answers.
 */
export type LoginThrottle = {
  /** Counts one attempt, or throws TooManyRequests (nothing counted) when it must wait. */
  begin(email: string, ip: string | null): Promise<LoginAttempt>;
  /**
   * Counts one failed (or refused) sign-in towards the burst alarm: answers, for the
   * account and for the address, whether this failure is the one that reached
   * `LOGIN_LIMITS.burstFailures` within its window, which is true once per window.
   */
  countFailure(email: string, ip: string | null): Promise<{ account: boolean; ip: boolean }>;
};

/** An attempt counts as a failure unless one of these is called. */
export type LoginAttempt = {
  /** The password was right but a second factor follows: this attempt does not count. */
  passed(): Promise<void>;
  /** Signed in: this attempt does not count and the address's streak on the account ends. */
  succeeded(): Promise<void>;
};

export const LOGIN_LIMITS = {
  freeAttempts: 5,
  freeAttemptsUnderAttack: 1,
  firstDelaySeconds: 30,
  maxDelaySeconds: 900,
  accountUnderAttackPerHour: 100,
  perIpHour: 300,
  /** identity.login_failures_burst: this many failed sign-ins for one account or from one address... */
  burstFailures: 10,
  /** ...within a window of this many seconds (from the window's first failure). */
  burstWindowSeconds: 300,
};

/** Seconds the next attempt waits after the `k`-th attempt past the free ones (k >= 1). */
export function loginDelaySeconds(k: number): number {
  return Math.min(LOGIN_LIMITS.firstDelaySeconds * 2 ** Math.min(k - 1, 20), LOGIN_LIMITS.maxDelaySeconds);
}

const HOUR = 3600;
const UNLIMITED = Number.MAX_SAFE_INTEGER;

export function createLoginThrottle(redis?: Redis, prefix = "ops:"): LoginThrottle {
  const make = (keyPrefix: string, points: number, duration = HOUR): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!redis) return memory;
    // rejectIfRedisNotReady: while ioredis is reconnecting, go straight to memory
    // instead of queueing the command until it times out.
    return new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: prefix + keyPrefix,
      points,
      duration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  };
  const perIp = make("login_ip", UNLIMITED);
  const perAccount = make("login_account", UNLIMITED);
  const perPair = make("login_pair", UNLIMITED);
  // One point: whoever takes the gate may try now; the next attempt waits for it to expire.
  const gate = make("login_gate", 1);
  // Fixed windows from the first failure: the count reaches the threshold exactly once per window.
  const burstAccount = make("login_burst_account", UNLIMITED, LOGIN_LIMITS.burstWindowSeconds);
  const burstIp = make("login_burst_ip", UNLIMITED, LOGIN_LIMITS.burstWindowSeconds);

  /** consume() answers over-limit by rejecting with the result; both are a count here. */
  const count = (l: RateLimiterAbstract, key: string, duration?: number): Promise<RateLimiterRes> =>
    l.consume(key, 1, duration === undefined ? {} : { customDuration: duration }).catch((e: unknown) => {
      if (e instanceof RateLimiterRes) return e;
      throw e;
    });
  const wait = (res: RateLimiterRes) => {
    const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return new TooManyRequests(`Too many failed sign-in attempts. Try again in ${seconds} s.`, seconds);
  };

  return {
    async countFailure(email, ip) {
      const [a, i] = await Promise.all([count(burstAccount, email.trim().toLowerCase()), ip ? count(burstIp, ip) : null]);
      return {
        account: a.consumedPoints === LOGIN_LIMITS.burstFailures,
        ip: i?.consumedPoints === LOGIN_LIMITS.burstFailures,
      };
    },
    async begin(email, ip) {
      const account = email.trim().toLowerCase();
      const pair = `${account}|${ip ?? "-"}`;
      // What this attempt counted so far, to take back when it is refused or succeeds.
      const counted = { ip: false, account: false, pair: false };
      const refundCounters = (which: (keyof typeof counted)[]) =>
        Promise.all([
          which.includes("ip") && counted.ip && ip ? perIp.reward(ip) : null,
          which.includes("account") && counted.account ? perAccount.reward(account) : null,
          which.includes("pair") && counted.pair ? perPair.reward(pair) : null,
        ]);
      let tookGate = false;
      try {
        if (ip) {
          const r = await count(perIp, ip);
          counted.ip = true;
          if (r.consumedPoints > LOGIN_LIMITS.perIpHour) throw wait(r);
        }
        const a = await count(perAccount, account);
        counted.account = true;
        const n = (await count(perPair, pair)).consumedPoints;
        counted.pair = true;
        const free =
          a.consumedPoints > LOGIN_LIMITS.accountUnderAttackPerHour ? LOGIN_LIMITS.freeAttemptsUnderAttack : LOGIN_LIMITS.freeAttempts;
        if (n >= free) {
          // From the last free attempt on, an attempt must take the gate, which then
          // stays shut for the delay that follows it: of any number of concurrent
          // attempts, one gets through.
          const g = await count(gate, pair, loginDelaySeconds(n - free + 1));
          if (g.consumedPoints > 1) throw wait(g);
          tookGate = true;
        }
      } catch (e) {
        if (e instanceof TooManyRequests) await refundCounters(["ip", "account", "pair"]);
        throw e;
      }
      return {
        async passed() {
          await Promise.all([refundCounters(["ip", "account", "pair"]), tookGate ? gate.delete(pair) : null]);
        },
        async succeeded() {
          await Promise.all([refundCounters(["ip", "account"]), perPair.delete(pair), gate.delete(pair)]);
        },
      };
    },
  };
}
