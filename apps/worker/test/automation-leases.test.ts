import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { commandStep, createTestRun, finishedRun, startRunFarm } from "../../api/test/helpers/run-farm";
import { type WorkerHandle } from "../src/run-worker";

/**
 * Lease renewal (ADR 0012 "Dispatch, claim, lease, fence") on a real worker over real
 * sshd: a renewal judges only the leases it asked about.
 */
let app: TestApp;
let admin: Awaited<ReturnType<TestApp["adminCaller"]>>;
let worker: WorkerHandle;
let farm: Awaited<ReturnType<typeof startRunFarm>>;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.adminCaller();
  worker = await app.startWorker({ concurrency: 2 });
  farm = await startRunFarm(app, 3);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await farm?.stop();
  await app?.close();
});

describe("lease renewal", () => {
  it("a host claimed while a renewal is on its way is not stopped by that renewal's answer", async () => {
    // Three hosts, two at a time, one sshd each, so the command knows which host it is on:
    // A outlasts the first renewal (10 s after the worker starts), B ends while it is on
    // its way, and C takes B's place then.
    const [a, b, c] = await farm.targets(3);
    const port = (i: number) => farm.sshds[i]!.port;
    const command = `case "$(echo "$SSH_CONNECTION" | cut -d' ' -f4)" in
      ${port(0)}) sleep 20 ;; ${port(1)}) sleep 11 ;; *) sleep 3 ;; esac`;
    const { runId } = await createTestRun(app, {
      targets: [a!, b!, c!],
      parallelism: 2,
      workflow: { steps: [commandStep("s", command)] },
    });
    const stateOf = async (ordinal: number) => {
      const [h] = await app.db.execute<{ state: string }>(
        sql`SELECT state FROM automation.run_hosts WHERE run_id = ${runId} AND ordinal = ${ordinal}`,
      );
      return h?.state;
    };
    await expect.poll(async () => [await stateOf(0), await stateOf(1)], { timeout: 60_000, interval: 100 }).toEqual(["running", "running"]);
    // Hold A's row until C runs: the renewal that asks about A and B waits on it, B ends
    // meanwhile and C is claimed, then the renewal answers "A held" (B is no longer running).
    await app.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT 1 FROM automation.run_hosts WHERE run_id = ${runId} AND ordinal = 0 FOR UPDATE`);
      await expect.poll(() => stateOf(2), { timeout: 60_000, interval: 100 }).not.toBe("pending");
    });
    const run = await finishedRun(admin, runId, 120_000);
    expect(run.hosts.map((h) => [h.targetName, h.state, h.error])).toEqual([
      [a!.name, "succeeded", null],
      [b!.name, "succeeded", null],
      [c!.name, "succeeded", null],
    ]);
    expect(run.state).toBe("succeeded");
  }, 180_000);
});
