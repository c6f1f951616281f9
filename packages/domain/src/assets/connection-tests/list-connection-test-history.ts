import { count, desc, eq } from "drizzle-orm";
import { connectionTests, targets } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import type { Page } from "../../schemas/common";
import type { ConnectionTestView } from "../../schemas/assets-connection-tests";
import { mayReadCredentials } from "../targets/target-rules";
import { selectConnectionTests, toConnectionTestView } from "./connection-test-view";

/** A target's connection tests, newest first, with every step's outcome. */
export async function listConnectionTestHistory({
  ctx,
  input,
}: VerbArgs<{ targetId: string; page: number; pageSize: number }>): Promise<Page<ConnectionTestView>> {
  const db = ctx.services.db;
  const [target] = await db.select({ id: targets.id }).from(targets).where(eq(targets.id, input.targetId)).limit(1);
  if (!target) throw new NotFound("Target");
  const where = eq(connectionTests.targetId, input.targetId);
  const [rows, [total]] = await Promise.all([
    selectConnectionTests(db)
      .where(where)
      .orderBy(desc(connectionTests.createdAt), desc(connectionTests.id))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db.select({ n: count() }).from(connectionTests).where(where),
  ]);
  return {
    items: rows.map((r) => toConnectionTestView(r, mayReadCredentials(ctx))),
    total: total?.n ?? 0,
    page: input.page,
    pageSize: input.pageSize,
  };
}
