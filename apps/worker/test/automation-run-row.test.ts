import { sql, type SQL } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimRunLease, finishLastRunStep, reapRuns, renewRunLease, systemContext } from "@ops/domain";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { createStepResult, createTestRun } from "../../api/test/helpers/run-farm";

/**
 * The run row's indexes (migration 0015, ADR 0012 "The run row"): the claim and lease
 * renewals write no index entry (HOT updates), the reaper still finds its runs through an
 * index, and the run's end is recorded as before.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

type Tx = Parameters<Parameters<TestApp["db"]["transaction"]>[0]>[0];

/** This transaction's updates of automation.runs so far, and how many were HOT. */
async function runUpdates(tx: Tx) {
  const [row] = await tx.execute<{ hot: number; all: number }>(sql`
    SELECT n_tup_hot_upd::int AS hot, n_tup_upd::int AS "all" FROM pg_stat_xact_user_tables
    WHERE schemaname = 'automation' AND relname = 'runs'`);
  return row!;
}

describe("the run row", () => {
  it("is claimed and its lease renewed without writing any index entry, and still ends", async () => {
    const wait = { id: "w", name: "w", kind: "wait", config: { seconds: 0 } };
    await app.db
      .transaction(async (tx) => {
        const ctx = systemContext({ ...app.services, db: tx as unknown as typeof app.db }, "test");
        const { runId } = await createTestRun(app, { workflow: { steps: [wait] }, tx });
        const claimed = await claimRunLease({ ctx, input: { runId, workerId: "w1", stepId: "w" } });
        expect(claimed).toMatchObject({ hostless: true, started: true });
        expect(await runUpdates(tx)).toEqual({ hot: 1, all: 1 });
        expect(await renewRunLease({ ctx, input: { lease: claimed!.lease } })).toEqual({ held: true, cancelled: false });
        expect(await runUpdates(tx)).toEqual({ hot: 2, all: 2 });

        const ended = await finishLastRunStep({
          ctx,
          input: { lease: claimed!.lease, stepId: "w", result: createStepResult(), runFailed: false },
        });
        expect(ended).toEqual({ recorded: true, ended: true });
        const [run] = await tx.execute<{ state: string; over: boolean }>(
          sql`SELECT state, finished_at IS NOT NULL AS over FROM automation.runs WHERE id = ${runId}`,
        );
        expect(run).toEqual({ state: "succeeded", over: true });
        throw new Rollback();
      })
      .catch((e) => {
        if (!(e instanceof Rollback)) throw e;
      });
  });

  it("refuses a run over without its end, or an end on a run not over", async () => {
    const { runId } = await createTestRun(app, { workflow: { steps: [{ id: "w", name: "w", kind: "wait", config: { seconds: 0 } }] } });
    await expect(app.db.execute(sql`UPDATE automation.runs SET state = 'succeeded' WHERE id = ${runId}`)).rejects.toThrow();
    await expect(app.db.execute(sql`UPDATE automation.runs SET finished_at = now() WHERE id = ${runId}`)).rejects.toThrow();
  });

  it("leaves the reaper's three reads on an index of the run row", async () => {
    const plans: string[] = [];
    await app.db
      .transaction(async (tx) => {
        // The tables are nearly empty here: without this the planner reads them whole.
        await tx.execute(sql`SET LOCAL enable_seqscan = off`);
        // Each read the reaper makes is explained instead of run (and answers no rows).
        const explaining = {
          execute: async (q: SQL) => {
            const [row] = await tx.execute<{ "QUERY PLAN": unknown }>(sql`EXPLAIN (FORMAT JSON) ${q}`);
            plans.push(JSON.stringify(row!["QUERY PLAN"]));
            return [];
          },
        };
        await reapRuns({ ctx: systemContext({ ...app.services, db: explaining as unknown as typeof app.db }, "test"), input: {} });
        throw new Rollback();
      })
      .catch((e) => {
        if (!(e instanceof Rollback)) throw e;
      });
    expect(plans).toHaveLength(3);
    for (const plan of plans) {
      expect(plan).toContain('"Index Name":"runs_open_idx"');
      expect(plan).not.toMatch(/"Node Type":"Seq Scan","Parallel Aware":false,"Async Capable":false,"Relation Name":"runs"/);
    }
  });
});

class Rollback extends Error {}
