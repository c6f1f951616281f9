import { asc, eq, sql } from "drizzle-orm";
import { connectionTestBatches, connectionTests, targets } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import type { ConnectionTestBatchView } from "../../schemas/assets-connection-tests";
import { mayReadCredentials } from "../targets/target-rules";
import { selectConnectionTests, toConnectionTestView } from "./connection-test-view";

/** A batch's progress for polling: counts plus each target's test so far. */
export async function getConnectionTestBatch({ ctx, input }: VerbArgs<{ batchId: string }>): Promise<ConnectionTestBatchView> {
  const db = ctx.services.db;
  const [batch] = await db.select().from(connectionTestBatches).where(eq(connectionTestBatches.id, input.batchId)).limit(1);
  if (!batch) throw new NotFound("Connection test batch");
  const rows = await selectConnectionTests(db)
    .where(eq(connectionTests.batchId, batch.id))
    .orderBy(asc(sql`lower(${targets.name})`));
  const tests = rows.map((r) => toConnectionTestView(r, mayReadCredentials(ctx)));
  const passed = tests.filter((t) => t.status === "passed").length;
  const failed = tests.filter((t) => t.status === "failed").length;
  // A deleted target takes its test row with it; it counts as done.
  return { batchId: batch.id, total: batch.total, done: passed + failed + (batch.total - tests.length), passed, failed, tests };
}
