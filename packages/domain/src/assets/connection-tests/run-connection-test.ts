import { and, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import {
  connectionTests,
  OS_FAMILIES,
  targets,
  users,
  type ConnectionTestStep,
  type TargetFacts,
  type TargetStatus,
  type Tx,
} from "@ops/db";
import { emitEvent } from "../../communication/emit-event";
import { emitCredentialsUsed } from "../credentials/credential-used-event";
import type { SystemVerbArgs } from "../../context";
import { adoptKnownHostKey, rememberHostKeyIfNew } from "../host-keys/known-hosts";
import { confirmPastedHostKey, pinHostKeyOnFirstUse, recordHostKeyMismatch, type SeenHostKey } from "../host-keys/record-host-key";

/**
 * The rules of a connection test's life, run by the worker (STYLE.md 15): claim the
 * test, record what the probe saw, or end it when the worker gives up. The worker's
 * task (apps/worker/src/tasks/connection-test.ts) only probes over SSH in between.
 */

export type ConnectionTestTarget = typeof targets.$inferSelect;
export type ConnectionTestActor = { userId: string; label: string } | null;
type OsFamily = (typeof OS_FAMILIES)[number];

/** The reasons a probe gives for a key other than the pinned one: seen before and changed, or never seen and not the one an admin pasted. */
export const HOST_KEY_CHANGED = "host key changed";
export const HOST_KEY_UNEXPECTED = "unexpected host key";

export type ConnectionTestOutcome = {
  steps: ConnectionTestStep[];
  /** The step that failed, the short reason and the operator's message; null when every step passed. */
  failure: { step: ConnectionTestStep["step"]; reason: string; message: string } | null;
  /** Set when the failure was the jump host's, not the target's. */
  jumpFailed: boolean;
  hostKey: SeenHostKey | null;
  jumpHostKey: SeenHostKey | null;
  facts: TargetFacts | null;
  /** What the facts say the OS family is, if they say. */
  osFamily: OsFamily | null;
};

const jumpHosts = alias(targets, "jump_host");

/**
 * Marks a queued (or retried) test running and answers what the probe needs: the target
 * and its jump host, each held to a key already trusted at its address and port when it
 * has no pin of its own (ADR 0008), and who asked. Null when the test finished already
 * or its target is gone.
 */
export async function claimConnectionTest({ ctx, input }: SystemVerbArgs<{ testId: string }>): Promise<{
  testId: string;
  target: ConnectionTestTarget;
  jump: ConnectionTestTarget | null;
  actor: ConnectionTestActor;
} | null> {
  const db = ctx.services.db;
  const [test] = await db
    .update(connectionTests)
    .set({ status: "running", startedAt: sql`now()` })
    .where(and(eq(connectionTests.id, input.testId), inArray(connectionTests.status, ["queued", "running"])))
    .returning();
  if (!test) return null;
  const [row] = await db
    .select({ target: targets, jump: jumpHosts, requesterEmail: users.email })
    .from(targets)
    .leftJoin(jumpHosts, eq(jumpHosts.id, targets.jumpHostId))
    .leftJoin(users, sql`${users.id} = ${test.requestedBy}::uuid`)
    .where(eq(targets.id, test.targetId))
    .limit(1);
  if (!row) return null;
  const withKnownPin = async (t: ConnectionTestTarget) => {
    if (t.hostKeyFingerprint || !(await adoptKnownHostKey(db, t))) return t;
    const [fresh] = await db.select().from(targets).where(eq(targets.id, t.id)).limit(1);
    return fresh ?? t;
  };
  return {
    testId: test.id,
    target: await withKnownPin(row.target),
    jump: row.jump ? await withKnownPin(row.jump) : null,
    actor: test.requestedBy ? { userId: test.requestedBy, label: row.requesterEmail ?? "deleted user" } : null,
  };
}

/**
 * Records a finished probe in one transaction: the test's steps and result, the target's
 * status and facts, its host-key pin (trust on first use only after a sign-in), the jump
 * host's key, and the "target unreachable" event when a reachable target stopped answering.
 */
export async function recordConnectionTest({
  ctx,
  input,
}: SystemVerbArgs<{ testId: string; target: ConnectionTestTarget; jump: ConnectionTestTarget | null; outcome: ConnectionTestOutcome }>) {
  await ctx.services.db.transaction((tx) => record(tx, input.testId, input.target, input.jump, input.outcome));
}

/** Ends a test the worker gave up on (out of retries), so progress does not wait for it forever. */
export async function failConnectionTest({ ctx, input }: SystemVerbArgs<{ testId: string; error: string }>) {
  await ctx.services.db
    .update(connectionTests)
    .set({ status: "failed", cause: "worker error", error: input.error, finishedAt: sql`now()` })
    .where(and(eq(connectionTests.id, input.testId), inArray(connectionTests.status, ["queued", "running"])));
}

function statusFor(o: ConnectionTestOutcome): { status: TargetStatus; message: string | null } {
  const f = o.failure;
  if (!f) return { status: "reachable", message: null };
  if (o.jumpFailed) return { status: "unreachable", message: f.message };
  if (f.step === "host_key") return { status: "host_key_changed", message: f.message };
  if (f.step === "auth" || f.step === "become") return { status: "auth_failed", message: f.message };
  if (f.step === "facts") return { status: "reachable", message: f.message };
  return { status: "unreachable", message: f.message };
}

async function record(
  tx: Tx,
  testId: string,
  target: ConnectionTestTarget,
  jump: ConnectionTestTarget | null,
  o: ConnectionTestOutcome,
): Promise<void> {
  const f = o.failure;
  await tx
    .update(connectionTests)
    .set({
      status: f ? "failed" : "passed",
      steps: o.steps,
      cause: f?.reason ?? null,
      error: f?.message ?? null,
      latencyMs: o.steps.find((s) => s.step === "tcp" && s.ok)?.ms ?? null,
      finishedAt: sql`now()`,
    })
    .where(eq(connectionTests.id, testId));
  await emitTestCredentialsUsed(tx, testId, target, jump, o);

  if (jump && o.jumpHostKey)
    await settleHostKey(tx, jump, o.jumpHostKey, o.jumpFailed && (f?.reason === HOST_KEY_CHANGED || f?.reason === HOST_KEY_UNEXPECTED));
  if (!o.jumpFailed && f?.step === "host_key" && o.hostKey) {
    await recordHostKeyMismatch(tx, target, o.hostKey); // sets status host_key_changed itself
    await emitTestFailed(tx, testId, target, "host_key_changed", f);
    return;
  }
  const { status, message } = statusFor(o);
  if (f && status !== "reachable") await emitTestFailed(tx, testId, target, status, f);
  // What a test observes leaves updated_at alone: it is the version edit forms compare
  // (CONTRACTS C1), and a test finishing must not make an open form's save a conflict.
  await tx
    .update(targets)
    .set({
      status,
      statusMessage: message,
      lastCheckedAt: sql`now()`,
      ...(o.facts ? { facts: o.facts, factsAt: sql`now()` } : {}),
      // The facts name the OS family of a target nobody has classified yet.
      ...(o.osFamily ? { osFamily: sql`CASE WHEN ${targets.osFamily} = 'unknown' THEN ${o.osFamily} ELSE ${targets.osFamily} END` } : {}),
    })
    .where(eq(targets.id, target.id));
  // Trust on first use: only a connection that signed in pins the key it saw.
  if (o.hostKey && (!f || f.step === "become" || f.step === "facts")) await settleHostKey(tx, target, o.hostKey, false);
  if (status === "unreachable" && target.status === "reachable") {
    await emitEvent(tx, {
      type: "assets.target_unreachable",
      objectType: "target",
      objectId: target.id,
      payload: { targetName: target.name, cause: f?.reason },
    });
  }
}

/**
 * assets.credential_used once per credential the probe opened: the jump host's, the
 * target's (unless the jump host failed first) and the become one when sudo was tried.
 */
async function emitTestCredentialsUsed(
  tx: Tx,
  testId: string,
  target: ConnectionTestTarget,
  jump: ConnectionTestTarget | null,
  o: ConnectionTestOutcome,
): Promise<void> {
  await emitCredentialsUsed(tx, {
    credentialIds: [
      jump?.credentialId,
      o.jumpFailed ? null : target.credentialId,
      o.steps.some((s) => s.step === "become") ? target.becomeCredentialId : null,
    ],
    usedBy: { kind: "connection_test", id: testId, label: `connection test of ${target.name}` },
    actor: (await requesterEmail(tx, testId)) ?? "system",
  });
}

async function requesterEmail(tx: Tx, testId: string): Promise<string | null> {
  const [by] = await tx
    .select({ email: users.email })
    .from(connectionTests)
    .innerJoin(users, eq(users.id, connectionTests.requestedBy))
    .where(eq(connectionTests.id, testId))
    .limit(1);
  return by?.email ?? null;
}

/** assets.connection_test_failed: the test ended with the target other than reachable (a facts-only failure is not one). */
async function emitTestFailed(
  tx: Tx,
  testId: string,
  target: ConnectionTestTarget,
  status: TargetStatus,
  f: NonNullable<ConnectionTestOutcome["failure"]>,
): Promise<void> {
  await emitEvent(tx, {
    type: "assets.connection_test_failed",
    objectType: "target",
    objectId: target.id,
    payload: {
      targetName: target.name,
      address: `${target.address}:${target.port}`,
      status,
      step: f.step,
      reason: f.message,
      testedBy: await requesterEmail(tx, testId),
    },
  });
}

async function settleHostKey(tx: Tx, t: ConnectionTestTarget, seen: SeenHostKey, mismatch: boolean): Promise<void> {
  if (mismatch) return recordHostKeyMismatch(tx, t, seen);
  if (!t.hostKeyFingerprint) await pinHostKeyOnFirstUse(tx, t, seen);
  else if (t.hostKeyType === null) await confirmPastedHostKey(tx, t, seen);
  else await rememberHostKeyIfNew(tx, t, seen);
}
