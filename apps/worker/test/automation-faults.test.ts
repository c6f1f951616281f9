import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, targets, type EmbeddedDatabase } from "@ops/db";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { ensureTestUser, freePort, startSshd, type TestSshd } from "../../../tooling/test/sshd";
import { type WorkerHandle } from "../src/run-worker";
import { commandStep, createTestRun, finishedRun } from "../../api/test/helpers/run-farm";

/**
 * Runs under faults (issue 7 "Bad input and faults"): a database restart in the middle of
 * a run, an unreachable target, a target whose host key changed. On a Postgres of this
 * file's own, which it stops and starts: never the shared test server.
 */
const dir = mkdtempSync(join(tmpdir(), "ops-run-faults-"));
const sideDir = join(dir, "side");
let pgPort = 0;
let pg: EmbeddedDatabase | null = null;
let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let worker: WorkerHandle;
let farm: TestSshd[] = [];
let credId = "";
let seq = 0;

beforeAll(async () => {
  // Postgres runs as an unprivileged user when the tests run as root; the test user writes side effects.
  chmodSync(dir, 0o755);
  mkdirSync(sideDir, { mode: 0o777 });
  chmodSync(sideDir, 0o777);
  pgPort = await freePort();
  const users = await ensureTestUser();
  [pg, ...farm] = await Promise.all([
    startEmbeddedPostgres({ dataDir: join(dir, "pg"), port: pgPort, password: "faults", throwaway: true }),
    ...[0, 1, 2].map(() => startSshd()),
  ]);
  app = await startTestApp({ databaseUrl: pg!.url });
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 2 });
  credId = (
    await admin.assets.credentials.create({ name: "key", kind: "ssh_key", username: users.user, description: "", secret: users.privateKey })
  ).id;
}, 180_000);

afterAll(async () => {
  await worker?.stop().catch(() => {});
  await app?.close();
  await pg?.stop();
  await Promise.all(farm.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function makeTarget(port: number) {
  const [t] = await app.db
    .insert(targets)
    .values({ name: `fault${++seq}-${port}`, address: "127.0.0.1", port, credentialId: credId })
    .returning();
  return t!;
}

describe("a database restart mid-run", () => {
  it("the run resumes where it was: every step recorded once, every output line kept in order", async () => {
    const ts = await Promise.all([farm[0]!, farm[1]!].map((s) => makeTarget(s.port)));
    const F = `F=${sideDir}/$(echo "$SSH_CONNECTION" | cut -d' ' -f4);`;
    const { runId } = await createTestRun(app, {
      targetIds: ts.map((t) => t.id),
      workflow: {
        steps: [
          commandStep("s1", `${F} echo s1 >> "$F"; seq 1 50; sleep 4; seq 51 100`),
          commandStep("s2", `${F} echo s2 >> "$F"; seq 101 110`),
        ],
        edges: [{ from: "s1", to: "s2" }],
      },
    });
    // Both hosts are inside s1, and its first lines are stored.
    await expect
      .poll(async () => {
        const [r] = await app.db.execute<{ running: number; lines: number }>(sql`
          SELECT (SELECT count(*)::int FROM automation.run_host_steps WHERE run_id = ${runId} AND step_id = 's1' AND state = 'running') AS running,
                 (SELECT coalesce(max(seq_to), 0)::int FROM automation.run_output WHERE run_id = ${runId}) AS lines`);
        return r!.running === 2 && r!.lines > 0;
      })
      .toBe(true);

    await pg!.stop();
    await new Promise((r) => setTimeout(r, 2_000));
    pg = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), port: pgPort, password: "faults", throwaway: true });

    const run = await finishedRun(admin, runId, 120_000);
    expect(run.state).toBe("succeeded");
    for (const h of run.hosts) {
      expect(h.state).toBe("succeeded");
      expect(h.steps.map((s) => [s.stepId, s.state, s.attempts, s.outputLines])).toEqual([
        ["s1", "succeeded", 1, 100],
        ["s2", "succeeded", 1, 10],
      ]);
    }
    // On the targets: each step ran once.
    for (const t of ts) expect(readFileSync(join(sideDir, String(t.port)), "utf8")).toBe("s1\ns2\n");
    // Every line, once, in order per host, numbered without a gap.
    const out = await admin.automation.runs.output({ runId, limit: 10_000 });
    expect(out.complete).toBe(true);
    expect(out.lines.map((l) => l.seq)).toEqual(Array.from({ length: 220 }, (_, i) => i + 1));
    for (const ordinal of [0, 1])
      expect(out.lines.filter((l) => l.ordinal === ordinal).map((l) => l.text)).toEqual(
        Array.from({ length: 110 }, (_, i) => String(i + 1)),
      );
  }, 240_000);
});

describe("targets that cannot be reached", () => {
  it("an unreachable target and one whose host key changed each fail their host with the reason; the others succeed", async () => {
    const ok = await makeTarget(farm[0]!.port);
    const closed = await makeTarget(await freePort());
    const swapped = await makeTarget(farm[2]!.port);
    // Pinned on first use, then the key changes under it.
    const first = await admin.automation.runs.exec({ targetIds: [swapped.id], command: "true" });
    expect((await finishedRun(admin, first.runId)).state).toBe("succeeded");
    const oldFp = farm[2]!.hostKeyFingerprint;
    const newFp = await farm[2]!.swapHostKey();

    const { runId } = await admin.automation.runs.exec({ targetIds: [ok.id, closed.id, swapped.id], command: "echo fine" });
    const run = await finishedRun(admin, runId, 120_000);
    expect(run.state).toBe("failed");
    expect(run.hostsFailed).toBe(2);
    expect(run.hosts.map((h) => [h.targetName, h.state])).toEqual([
      [ok.name, "succeeded"],
      [closed.name, "failed"],
      [swapped.name, "failed"],
    ]);
    expect(run.hosts[1]!.steps[0]!.error).toMatch(/refused/);
    expect(run.hosts[1]!.error).toMatch(/^step "command" failed: .*refused/);
    expect(run.hosts[2]!.steps[0]!.error).toBe(`host key changed: expected ${oldFp}, got ${newFp}`);
    expect(run.hosts[2]!.error).toBe(`step "command" failed: host key changed: expected ${oldFp}, got ${newFp}`);
    // The changed key is on record for an admin to review, as a connection test leaves it.
    const [t] = await app.db.execute<{ status: string; fp: string; pending: string }>(
      sql`SELECT status, host_key_fingerprint AS fp, host_key_pending_fingerprint AS pending FROM assets.targets WHERE id = ${swapped.id}`,
    );
    expect(t).toEqual({ status: "host_key_changed", fp: oldFp, pending: newFp });
    const out = await admin.automation.runs.output({ runId });
    expect(out.lines.filter((l) => l.ordinal === 0).map((l) => l.text)).toEqual(["fine"]);
  }, 120_000);
});
