import ssh2 from "ssh2";
import { targets } from "@ops/db";
import type { TestApp } from "../../../api/test/helpers/harness";
import type { TestUsers } from "../../../../tooling/test/sshd";

/**
 * Small factories for tests of running, cancelling, rerunning and resuming runs against
 * real sshd targets (apps/worker/test/automation-control.test.ts).
 */

/** A target on 127.0.0.1:`port` signing in with `credentialId`. */
export async function createTarget(app: TestApp, o: Partial<typeof targets.$inferInsert> & { port: number; credentialId: string }) {
  const [t] = await app.db
    .insert(targets)
    .values({ name: `ctl-${Math.random().toString(36).slice(2, 8)}`, address: "127.0.0.1", ...o })
    .returning();
  return t!;
}

/**
 * Runs `command` on the target over a connection of its own (not the worker's), as the
 * test user: how a test looks at the target, e.g. `pgrep -f`.
 */
export function onTarget(port: number, users: TestUsers, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on("error", reject);
    c.on("ready", () => {
      c.exec(command, (err, ch) => {
        if (err) return (c.end(), reject(err));
        let out = "";
        ch.on("data", (d: Buffer) => (out += d.toString()));
        ch.stderr.on("data", () => {});
        ch.on("close", () => (c.end(), resolve(out)));
      });
    });
    c.connect({ host: "127.0.0.1", port, username: users.user, privateKey: users.privateKey, readyTimeout: 20_000 });
  });
}

/** Command lines of the target's processes that match `pattern` (an extended regex for pgrep -f). */
export async function processesOnTarget(port: number, users: TestUsers, pattern: string): Promise<string[]> {
  // The [x] trick keeps the pgrep's own shell (if any) from matching its pattern.
  const out = await onTarget(port, users, `pgrep -a -f '${pattern}' || true`);
  return out.split("\n").filter(Boolean);
}
