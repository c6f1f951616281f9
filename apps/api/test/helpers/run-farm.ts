import { targets } from "@ops/db";
import { enqueueTasks, writeRun, type RunToWrite } from "@ops/domain";
import { workflowDocument } from "@ops/domain/schemas/automation-workflow";
import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../../tooling/test/sshd";
import type { TestApp } from "./harness";

/**
 * A farm of real sshd targets on loopback for run tests: `size` sshd processes, one SSH
 * key credential of the test user, and a factory for targets on them (several targets
 * may share one sshd: each is its own host to the engine).
 */
export async function startRunFarm(app: TestApp, size = 1) {
  const users: TestUsers = await ensureTestUser();
  const admin = await app.adminCaller();
  const sshds: TestSshd[] = await Promise.all(Array.from({ length: size }, () => startSshd({ hostKeyType: "ed25519" })));
  const credentialId = (
    await admin.assets.credentials.create({
      name: `farm-key-${Math.random().toString(36).slice(2, 8)}`,
      kind: "ssh_key",
      username: users.user,
      description: "",
      secret: users.privateKey,
    })
  ).id;
  let seq = 0;
  return {
    users,
    sshds,
    credentialId,
    /** `n` targets, spread over the farm's sshd processes. */
    async targets(n: number, o: Partial<typeof targets.$inferInsert> = {}) {
      const rows = await app.db
        .insert(targets)
        .values(
          Array.from({ length: n }, (_, i) => ({
            name: `farm${++seq}-${Math.random().toString(36).slice(2, 6)}`,
            address: "127.0.0.1",
            port: sshds[i % sshds.length]!.port,
            credentialId,
            ...o,
          })),
        )
        .returning();
      return rows;
    },
    async stop() {
      await Promise.all(sshds.map((s) => s.stop()));
    },
  };
}
export type RunFarm = Awaited<ReturnType<typeof startRunFarm>>;

/**
 * A run of a given workflow document on given targets, written the way launches and
 * ad-hoc commands write theirs (domain `writeRun`), without a job. `dispatch` adds more
 * `automation:run-hosts` tasks, so several workers share even a small run.
 */
export async function createTestRun(
  app: TestApp,
  o: Partial<Omit<RunToWrite, "workflow" | "hosts">> & {
    workflow: unknown;
    targets: { id: string; name: string }[];
    dispatch?: number;
  },
) {
  const workflow = workflowDocument.parse(o.workflow);
  return app.db.transaction(async (tx) => {
    const written = await writeRun(tx, {
      kind: "adhoc",
      title: o.title ?? `test run ${workflow.steps.map((s) => s.id).join(",")}`,
      parallelism: o.parallelism ?? 50,
      launchedBy: o.launchedBy ?? null,
      timeoutSeconds: o.timeoutSeconds ?? 600,
      failureThreshold: o.failureThreshold ?? null,
      exclusive: o.exclusive ?? "off",
      params: o.params ?? {},
      workflow,
      hosts: o.targets.map((t) => ({ targetId: t.id, name: t.name })),
    });
    if (o.dispatch && o.dispatch > 1)
      await enqueueTasks(
        tx,
        "automation:run-hosts",
        Array.from({ length: o.dispatch - 1 }, () => ({ runId: written.runId })),
      );
    return written;
  });
}
