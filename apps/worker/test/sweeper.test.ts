import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { workers } from "@ops/db";
import { enqueueJob } from "@ops/domain";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { beat, sweepDeadWorkers } from "../src/heartbeat";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

describe("dead-worker sweeper", () => {
  it("releases the jobs of a worker that stopped beating, and leaves live workers alone", async () => {
    const db = app.db;
    await db.insert(workers).values([
      { id: "dead-1", hostname: "h1", pid: 1, queueWorkerIds: ["gw-dead-a"], heartbeatAt: new Date(Date.now() - 120_000) },
      { id: "live-1", hostname: "h2", pid: 2, queueWorkerIds: ["gw-live-a"], heartbeatAt: new Date() },
    ]);
    await db.transaction(async (tx) => {
      await enqueueJob(tx, "identity:sessions-cleanup", {}, { jobKey: "held-by-dead" });
      await enqueueJob(tx, "identity:sessions-cleanup", {}, { jobKey: "held-by-live" });
    });
    // As graphile-worker does when a worker takes a job.
    await db.execute(sql`UPDATE graphile_worker._private_jobs SET locked_by = 'gw-dead-a', locked_at = now() WHERE key = 'held-by-dead'`);
    await db.execute(sql`UPDATE graphile_worker._private_jobs SET locked_by = 'gw-live-a', locked_at = now() WHERE key = 'held-by-live'`);

    expect(await sweepDeadWorkers(db)).toEqual(["dead-1"]);

    const jobs = await db.execute<{ key: string; locked_by: string | null }>(
      sql`SELECT key, locked_by FROM graphile_worker._private_jobs ORDER BY key`,
    );
    expect(jobs.map((j) => [j.key, j.locked_by])).toEqual([
      ["held-by-dead", null],
      ["held-by-live", "gw-live-a"],
    ]);
    const rows = await db.select().from(workers).orderBy(workers.id);
    expect(rows.map((r) => [r.id, r.stoppedAt !== null])).toEqual([
      ["dead-1", true],
      ["live-1", false],
    ]);
    // A second sweep finds nothing new.
    expect(await sweepDeadWorkers(db)).toEqual([]);
    // A worker wrongly declared dead (e.g. after a database outage) comes back on its next beat.
    expect(await beat(db, "dead-1")).toBe(true);
    expect(await beat(db, "dead-1")).toBe(false);
    const [back] = await db.select().from(workers).where(eq(workers.id, "dead-1"));
    expect(back!.stoppedAt).toBeNull();
  });
});
