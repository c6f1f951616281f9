import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../../tooling/test/sshd";
import type { TestApp } from "./harness";

export type RunFarm = {
  users: TestUsers;
  credentialId: string;
  sshds: TestSshd[];
  targets: { id: string; name: string; port: number }[];
  stop(): Promise<void>;
};

/**
 * `hosts` real sshd servers on loopback, one signing-in credential (the test user's key)
 * and one target per server, created through the API as an admin would. Targets are
 * named `${prefix}-1`, `${prefix}-2`, ... and labelled farm=<prefix>.
 */
export async function startRunFarm(app: TestApp, o: { hosts: number; prefix?: string }): Promise<RunFarm> {
  const prefix = o.prefix ?? "farm";
  const users = await ensureTestUser();
  const admin = await app.adminCaller();
  const sshds = await Promise.all(Array.from({ length: o.hosts }, () => startSshd()));
  const { id: credentialId } = await admin.assets.credentials.create({
    name: `${prefix} key`,
    kind: "ssh_key",
    username: users.user,
    description: "",
    secret: users.privateKey,
  });
  const targets = [];
  for (const [i, sshd] of sshds.entries()) {
    const t = await admin.assets.targets.create({
      name: `${prefix}-${i + 1}`,
      address: "127.0.0.1",
      port: sshd.port,
      credentialId,
      labels: { farm: prefix },
    });
    targets.push({ id: t.id, name: t.name, port: sshd.port });
  }
  return { users, credentialId, sshds, targets, stop: async () => void (await Promise.all(sshds.map((s) => s.stop()))) };
}
