import type { SshConnection } from "./connect";

/**
 * One SSH connection per target, shared by every step of a run (DESIGN.md decision 7).
 * `acquire` hands out the open connection or opens one (concurrent callers wait for the
 * same attempt); a connection nobody holds closes after `idleMs`. Connection tests do
 * not use this: a test must prove a fresh connection works.
 */
export function createConnectionPool(opts: { idleMs?: number } = {}) {
  const idleMs = opts.idleMs ?? 30_000;
  type Entry = { conn: Promise<SshConnection>; users: number; idle?: NodeJS.Timeout };
  const entries = new Map<string, Entry>();

  function drop(key: string, entry: Entry) {
    if (entries.get(key) !== entry) return;
    entries.delete(key);
    clearTimeout(entry.idle);
    entry.conn.then(
      (c) => c.close(),
      () => {},
    );
  }

  async function acquire(key: string, open: () => Promise<SshConnection>): Promise<{ conn: SshConnection; release: () => void }> {
    let entry = entries.get(key);
    if (!entry) {
      const created: Entry = { conn: open(), users: 0 };
      entry = created;
      entries.set(key, created);
      created.conn.then(
        (c) => c.client.once("close", () => drop(key, created)),
        () => drop(key, created),
      );
    }
    const held = entry;
    held.users++;
    clearTimeout(held.idle);
    try {
      const conn = await held.conn;
      let released = false;
      return {
        conn,
        release: () => {
          if (released) return;
          released = true;
          if (--held.users === 0) held.idle = setTimeout(() => drop(key, held), idleMs).unref();
        },
      };
    } catch (e) {
      held.users--;
      throw e;
    }
  }

  return {
    acquire,
    size: () => entries.size,
    closeAll() {
      for (const [key, entry] of entries) drop(key, entry);
    },
  };
}

export type ConnectionPool = ReturnType<typeof createConnectionPool>;
