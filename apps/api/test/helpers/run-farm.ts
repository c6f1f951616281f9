import { and, eq, sql } from "drizzle-orm";
import { runs, targets } from "@ops/db";
import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../../tooling/test/sshd";
import type { TestApp } from "./harness";

/** Credentials every farm has, by name (usernames and secrets of the test users). */
export type FarmCredential = "key" | "password" | "wrong" | "nosudo" | "become" | "becomeBad" | "becomeNosudo";

export type RunFarm = Awaited<ReturnType<typeof createRunFarm>>;

let seq = 0;

/**
 * A farm of real OpenSSH sshd targets on 127.0.0.1 for run tests: `sshds` servers (host
 * key types in turn ed25519, rsa), the standard credentials created through the API,
 * and `hosts` targets spread over the servers, signing in with the key. `makeTarget`
 * adds more (e.g. with a password, a become credential or a dead port).
 */
export async function createRunFarm(app: TestApp, opts: { hosts?: number; sshds?: number; labels?: Record<string, string> } = {}) {
  const users: TestUsers = await ensureTestUser();
  const admin = await app.adminCaller();
  const sshds: TestSshd[] = await Promise.all(
    Array.from({ length: opts.sshds ?? 1 }, (_, i) => startSshd({ hostKeyType: i % 2 ? "rsa" : "ed25519" })),
  );
  const specs: [FarmCredential, "ssh_key" | "ssh_password" | "become_password", string, string][] = [
    ["key", "ssh_key", users.user, users.privateKey],
    ["password", "ssh_password", users.user, users.password],
    ["wrong", "ssh_password", users.user, "not-the-password"],
    ["nosudo", "ssh_password", users.nosudoUser, users.nosudoPassword],
    ["become", "become_password", "", users.password],
    ["becomeBad", "become_password", "", "not-the-password"],
    ["becomeNosudo", "become_password", "", users.nosudoPassword],
  ];
  const prefix = `farm${++seq}-${Math.random().toString(36).slice(2, 6)}`;
  const creds = {} as Record<FarmCredential, string>;
  for (const [name, kind, username, secret] of specs) {
    creds[name] = (await admin.assets.credentials.create({ name: `${prefix}-${name}`, kind, username, description: "", secret })).id;
  }
  let n = 0;
  /** A target on the farm (the first sshd unless `port` says otherwise), signing in with the key. */
  async function makeTarget(o: Partial<typeof targets.$inferInsert> = {}) {
    const [t] = await app.db
      .insert(targets)
      .values({
        name: `${prefix}-${++n}`,
        address: "127.0.0.1",
        port: sshds[(n - 1) % sshds.length]!.port,
        credentialId: creds.key,
        ...o,
      })
      .returning();
    return t!;
  }
  const hosts = [];
  for (let i = 0; i < (opts.hosts ?? 0); i++) hosts.push(await makeTarget({ labels: opts.labels ?? {} }));
  return {
    users,
    sshds,
    creds,
    hosts,
    makeTarget,
    async stop() {
      await Promise.all(sshds.map((s) => s.stop()));
    },
  };
}

/**
 * Requests cancellation of the running runs titled `title` the way the engine reads it
 * (`cancel_requested_at`; workers see it at their next lease renewal). Answers the ids.
 */
export async function requestCancel(app: TestApp, title: string): Promise<string[]> {
  const rows = await app.db
    .update(runs)
    .set({ cancelRequestedAt: sql`now()` })
    .where(and(eq(runs.title, title), eq(runs.state, "running")))
    .returning({ id: runs.id });
  return rows.map((r) => r.id);
}
