import { inArray } from "drizzle-orm";
import { connectionTestBatches, connectionTests, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { Forbidden, Invalid, NotFound } from "../../errors";
import { TEST_MAX } from "../../schemas/assets-connection-tests";
import type { TargetFilters } from "../../schemas/assets-targets";
import { targetWhere } from "../targets/target-filters";
import { enqueueTasks } from "../../queue/enqueue";
import { can } from "../../permissions";
import { actorOf } from "../../identity/users/user-view";

export type StartConnectionTestsInput = { targetIds: string[] } | { filter: Partial<TargetFilters> };

/**
 * Queues a connection test for each target: the batch, one test row per target and
 * their jobs are written in one transaction (DESIGN.md decision 4). A test signs in
 * with the target's credential, so it needs credentials.use as well as targets.test.
 * `filter` tests every target matching the list's filters (CONTRACTS C2).
 */
export async function startConnectionTests({
  ctx,
  input,
}: VerbArgs<StartConnectionTestsInput>): Promise<{ batchId: string; total: number }> {
  const actor = actorOf(ctx);
  if (!can(actor, "targets.test")) throw new Forbidden('You need the "targets.test" permission');
  if (!can(actor, "credentials.use"))
    throw new Forbidden('Connection tests sign in with the target\'s credential: you need the "credentials.use" permission');
  return ctx.services.db.transaction(async (tx) => {
    let ids: string[];
    if ("filter" in input) {
      const matching = await tx
        .select({ id: targets.id })
        .from(targets)
        .where(targetWhere(input.filter))
        .limit(TEST_MAX + 1);
      if (!matching.length) throw new Invalid("No target matches this filter", "filter");
      if (matching.length > TEST_MAX) throw new Invalid(`More than ${TEST_MAX} targets match: narrow the filter`, "filter");
      ids = matching.map((r) => r.id);
    } else ids = [...new Set(input.targetIds)];
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
    await enqueueTasks(
      tx,
      "assets:connection-test",
      tests.map((t) => ({ testId: t.id })),
      { maxAttempts: 2 },
    );
    await appendAudit(tx, ctx, {
      action: "assets.connection_tests.start",
      objectType: "connection_test_batch",
      objectId: batch!.id,
      changes: { targets: ids.length, targetIds: ids.slice(0, 50), ...("filter" in input ? { filter: input.filter } : {}) },
    });
    return { batchId: batch!.id, total: ids.length };
  });
}
