/**
 * At most `limit` SSH handshakes in flight per host:port (DESIGN.md decision 7): sshd's
 * MaxStartups (default 10:30:100) starts dropping unauthenticated connections early, so a
 * burst of 100 tests against one host would fail for no reason of the host's own.
 */
export function createHandshakeLimiter(limit = 3) {
  const slots = new Map<string, { active: number; waiting: (() => void)[] }>();

  async function acquire(key: string): Promise<() => void> {
    let slot = slots.get(key);
    if (!slot) slots.set(key, (slot = { active: 0, waiting: [] }));
    if (slot.active >= limit) await new Promise<void>((resolve) => slot.waiting.push(resolve));
    else slot.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slot.waiting.shift();
      // The slot passes straight to the next waiter; `active` stays the same.
      if (next) return next();
      slot.active--;
      if (slot.active === 0) slots.delete(key);
    };
  }

  return {
    acquire,
    /** Runs `fn` holding one slot for `key`. */
    async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const release = await acquire(key);
      try {
        return await fn();
      } finally {
        release();
      }
    },
    inFlight: (key: string) => slots.get(key)?.active ?? 0,
  };
}

export type HandshakeLimiter = ReturnType<typeof createHandshakeLimiter>;

/** One per worker process: every SSH connection it opens shares it. */
export const handshakeLimiter = createHandshakeLimiter(3);
