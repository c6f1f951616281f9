import { desc, eq } from "drizzle-orm";
import { connectionTests, targetRelationships, targets } from "@ops/db";
import type { VerbArgs } from "../../context";
import { NotFound } from "../../errors";
import type { TargetDetail } from "../../schemas/assets-targets";
import { mayReadCredentials } from "./target-rules";
import { toSummaries, selectTargetsWithNames } from "./target-view";

const PHRASE = { depends_on: "depends on", runs_on: "runs on" } as const;

export async function getTarget({ ctx, input }: VerbArgs<{ id: string }>): Promise<TargetDetail> {
  const db = ctx.services.db;
  const [row] = await selectTargetsWithNames(db).where(eq(targets.id, input.id)).limit(1);
  if (!row) throw new NotFound("Target");
  const [[summary], outgoing, incoming, jumpFor, tests] = await Promise.all([
    toSummaries(db, [row], mayReadCredentials(ctx)),
    db
      .select({ kind: targetRelationships.kind, id: targets.id, name: targets.name })
      .from(targetRelationships)
      .innerJoin(targets, eq(targets.id, targetRelationships.toTargetId))
      .where(eq(targetRelationships.fromTargetId, input.id))
      .orderBy(targetRelationships.kind, targets.name),
    db
      .select({ kind: targetRelationships.kind, id: targets.id, name: targets.name })
      .from(targetRelationships)
      .innerJoin(targets, eq(targets.id, targetRelationships.fromTargetId))
      .where(eq(targetRelationships.toTargetId, input.id))
      .orderBy(targetRelationships.kind, targets.name),
    db
      .select({ id: targets.id, name: targets.name })
      .from(targets)
      .where(eq(targets.jumpHostId, input.id))
      .orderBy(targets.name)
      .limit(200),
    db.select().from(connectionTests).where(eq(connectionTests.targetId, input.id)).orderBy(desc(connectionTests.createdAt)).limit(20),
  ]);
  const t = row.t;
  return {
    ...summary!,
    facts: (t.facts as Record<string, unknown> | null) ?? null,
    factsAt: t.factsAt?.toISOString() ?? null,
    hostKey: {
      type: t.hostKeyType,
      fingerprint: t.hostKeyFingerprint,
      pinnedAt: t.hostKeyPinnedAt?.toISOString() ?? null,
      pendingType: t.hostKeyPendingType,
      pendingFingerprint: t.hostKeyPendingFingerprint,
      pendingSeenAt: t.hostKeyPendingSeenAt?.toISOString() ?? null,
    },
    relationships: [
      ...outgoing.map((r) => ({
        kind: r.kind,
        direction: "out" as const,
        other: { id: r.id, name: r.name },
        text: `${PHRASE[r.kind]} ${r.name}`,
      })),
      ...incoming.map((r) => ({
        kind: r.kind,
        direction: "in" as const,
        other: { id: r.id, name: r.name },
        text: `${r.name} ${PHRASE[r.kind]} this`,
      })),
    ],
    jumpHostFor: jumpFor,
    recentTests: tests.map((c) => ({
      id: c.id,
      status: c.status,
      cause: c.cause,
      error: c.error,
      latencyMs: c.latencyMs,
      createdAt: c.createdAt.toISOString(),
      finishedAt: c.finishedAt?.toISOString() ?? null,
    })),
  };
}
