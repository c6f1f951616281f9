import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { workers } from "@ops/db";
import { enqueueTask } from "@ops/domain";
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
      await enqueueTask(tx, "identity:sessions-cleanup", {}, { jobKey: "held-by-dead" });
      await enqueueTask(tx, "identity:sessions-cleanup", {}, { jobKey: "held-by-live" });
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

  it("releases jobs locked by a worker that died before its lock id was recorded, once they have been locked 20 s", async () => {
    const db = app.db;
    await db.insert(workers).values({ id: "live-2", hostname: "h3", pid: 3, queueWorkerIds: ["pool-live"], heartbeatAt: new Date() });
    await db.transaction(async (tx) => {
      for (const key of ["orphan-old", "orphan-new", "live-old"]) await enqueueTask(tx, "identity:sessions-cleanup", {}, { jobKey: key });
    });
    // Killed between taking a job and recording its pool's id: no row names that id.
    await db.execute(
      sql`UPDATE graphile_worker._private_jobs SET locked_by = 'pool-never-recorded', locked_at = now() - interval '30 seconds' WHERE key = 'orphan-old'`,
    );
    // A worker starting this very moment: its id is on its way; its job is left alone.
    await db.execute(sql`UPDATE graphile_worker._private_jobs SET locked_by = 'pool-starting', locked_at = now() WHERE key = 'orphan-new'`);
    // A long job of a live worker stays with it.
    await db.execute(
      sql`UPDATE graphile_worker._private_jobs SET locked_by = 'pool-live', locked_at = now() - interval '1 hour' WHERE key = 'live-old'`,
    );

    expect(await sweepDeadWorkers(db)).toEqual([]);

    const jobs = await db.execute<{ key: string; locked_by: string | null }>(
      sql`SELECT key, locked_by FROM graphile_worker._private_jobs WHERE key IN ('orphan-old', 'orphan-new', 'live-old') ORDER BY key`,
    );
    expect(jobs.map((j) => [j.key, j.locked_by])).toEqual([
      ["live-old", "pool-live"],
      ["orphan-new", "pool-starting"],
      ["orphan-old", null],
    ]);
  });
});
