import { eq } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { connectionTests, targets, type ConnectionTestStep } from "@ops/db";
import type { ConnectionTestView } from "../../schemas/assets-connection-tests";

/** The select behind every test listing: the test row plus its target's name. */
export function selectConnectionTests(db: Executor) {
  return db
    .select({ t: connectionTests, targetName: targets.name })
    .from(connectionTests)
    .innerJoin(targets, eq(targets.id, connectionTests.targetId))
    .$dynamic();
}

/**
 * The sign-in step says which user name the test signed in as ("key as deploy"): that is
 * credential metadata, shown only with credentials.read (issue 6, point 9).
 */
export function hideUserName(step: ConnectionTestStep): ConnectionTestStep {
  if (step.step !== "auth" || !step.detail) return step;
  const at = step.detail.indexOf(" as ");
  return at < 0 ? step : { ...step, detail: `${step.detail.slice(0, at)} (user name hidden)` };
}

export function toConnectionTestView(
  row: { t: typeof connectionTests.$inferSelect; targetName: string },
  showCredentials: boolean,
): ConnectionTestView {
  const t = row.t;
  return {
    id: t.id,
    batchId: t.batchId,
    targetId: t.targetId,
    targetName: row.targetName,
    status: t.status,
    steps: showCredentials ? t.steps : t.steps.map(hideUserName),
    cause: t.cause,
    error: t.error,
    latencyMs: t.latencyMs,
    requestedBy: t.requestedBy,
    createdAt: t.createdAt.toISOString(),
    startedAt: t.startedAt?.toISOString() ?? null,
    finishedAt: t.finishedAt?.toISOString() ?? null,
  };
}
