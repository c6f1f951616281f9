import { isDatabaseUnreachable } from "@ops/db";

/** How long a worker keeps a host's result in hand while the database is away. */
const GIVE_UP_MS = 5 * 60_000;

/**
 * Runs an engine write (or read) again while the database is unreachable (a restart, a
 * failover), instead of dropping the host's work: the result of a command that ran stays
 * in hand until it can be recorded. Safe to repeat because every engine write is fenced
 * and conditional (ADR 0012): a repeat after an unseen commit changes nothing and says so.
 * Any other error, or an outage longer than GIVE_UP_MS, is thrown.
 */
export async function whileUnreachable<T>(write: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + GIVE_UP_MS;
  for (let wait = 200; ; wait = Math.min(wait * 2, 3_000)) {
    try {
      return await write();
    } catch (e) {
      if (!isDatabaseUnreachable(e) || Date.now() > giveUpAt) throw e;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
