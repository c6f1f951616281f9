import { inArray } from "drizzle-orm";
import { connectionTestBatches, connectionTests, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Forbidden, NotFound } from "../../errors";
import { enqueueJobs } from "../../jobs/enqueue";
import { can } from "../../permissions";
import { actorOf } from "../../identity/users/user-view";

export type StartConnectionTestsInput = { targetIds: string[] };

/**
 * Queues a connection test for each target: the batch, one test row per target and
 * their jobs are written in one transaction (DESIGN.md decision 4). A test signs in
 * with the target's credential, so it needs credentials.use as well as targets.test.
 */
export async function startConnectionTests({
  ctx,
  input,
}: VerbArgs<StartConnectionTestsInput>): Promise<{ batchId: string; total: number }> {
  const actor = actorOf(ctx);
  if (!can(actor, "targets.test")) throw new Forbidden('You need the "targets.test" permission');
  if (!can(actor, "credentials.use"))
    throw new Forbidden('Connection tests sign in with the target\'s credential: you need the "credentials.use" permission');
  const ids = [...new Set(input.targetIds)];
  return ctx.services.db.transaction(async (tx) => {
    const found = await tx.select({ id: targets.id }).from(targets).where(inArray(targets.id, ids));
    if (found.length !== ids.length) {
      const known = new Set(found.map((r) => r.id));
      throw new NotFound(
        "Target",
        `Target not found: ${ids
          .filter((id) => !known.has(id))
          .slice(0, 3)
          .join(", ")}`,
      );
    }
    const [batch] = await tx
      .insert(connectionTestBatches)
      .values({ total: ids.length, requestedBy: actor.userId })
      .returning({ id: connectionTestBatches.id });
    const tests = await tx
      .insert(connectionTests)
      .values(ids.map((targetId) => ({ batchId: batch!.id, targetId, requestedBy: actor.userId })))
      .returning({ id: connectionTests.id });
    // A crashed worker's job is handed on by the sweeper; a second attempt is plenty.
    await enqueueJobs(
      tx,
      "assets:connection-test",
      tests.map((t) => ({ testId: t.id })),
      { maxAttempts: 2 },
    );
    await appendAudit(tx, ctx, {
      action: "assets.connection_tests.start",
      objectType: "connection_test_batch",
      objectId: batch!.id,
      changes: { targets: ids.length, targetIds: ids.slice(0, 50) },
    });
    return { batchId: batch!.id, total: ids.length };
  });
}
