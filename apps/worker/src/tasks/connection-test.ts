import { and, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Client } from "ssh2";
import { z } from "zod";
import { connectionTests, targets, users, type ConnectionTestStep, type TargetFacts, type TargetStatus, type Tx } from "@ops/db";
import {
  adoptKnownHostKey,
  confirmPastedHostKey,
  emitEvent,
  hostKeyMismatchMessage,
  openCredentialForUse,
  pinHostKeyOnFirstUse,
  recordHostKeyMismatch,
  rememberHostKeyIfNew,
} from "@ops/domain";
import { connectSsh, type SshConnection, type SshLogin, type StepReport } from "../ssh/connect";
import { execCommand } from "../ssh/exec";
import { FACTS_SCRIPT, osFamilyOf, parseFacts } from "../ssh/facts";
import { SshFailure, failureOf, type StepName } from "../ssh/failure";
import type { SeenHostKey } from "../ssh/host-key";
import { openLogin } from "../ssh/login";
import type { JobAttempt, TaskDeps } from "./types";

export const identifier = "assets:connection-test";
export const payload = z.object({ testId: z.uuid() });

type TargetRow = typeof targets.$inferSelect;
type Actor = { userId: string; label: string } | null;
const jumpHosts = alias(targets, "jump_host");
const PURPOSE = "connection test";
/** A key other than the pinned one: seen before and changed, or never seen and not the one an admin pasted. */
const CHANGED = "host key changed";
const UNEXPECTED = "unexpected host key";

/**
 * One target's connection test: tcp, handshake, host key, sign-in (through the jump host
 * when set), become, facts. Every step's outcome lands in connection_tests.steps; the
 * target's status, facts and host-key pin are written with the result in one transaction.
 * A target that fails is a result, not an error: only infrastructure trouble throws.
 */
export async function handler({ testId }: z.infer<typeof payload>, deps: TaskDeps, job: JobAttempt): Promise<void> {
  try {
    await runTest(testId, deps);
  } catch (e) {
    // Out of retries: the test must end (failed), or progress would wait for it forever.
    if (job.attempt >= job.maxAttempts) {
      await deps.db
        .update(connectionTests)
        .set({ status: "failed", cause: "worker error", error: e instanceof Error ? e.message : String(e), finishedAt: sql`now()` })
        .where(and(eq(connectionTests.id, testId), inArray(connectionTests.status, ["queued", "running"])));
    }
    throw e;
  }
}

async function runTest(testId: string, deps: TaskDeps): Promise<void> {
  const [test] = await deps.db
    .update(connectionTests)
    .set({ status: "running", startedAt: sql`now()` })
    .where(and(eq(connectionTests.id, testId), inArray(connectionTests.status, ["queued", "running"])))
    .returning();
  if (!test) return; // finished already (a retried job) or its target was deleted
  const [row] = await deps.db
    .select({ target: targets, jump: jumpHosts, requesterEmail: users.email })
    .from(targets)
    .leftJoin(jumpHosts, eq(jumpHosts.id, targets.jumpHostId))
    .leftJoin(users, sql`${users.id} = ${test.requestedBy}::uuid`)
    .where(eq(targets.id, test.targetId))
    .limit(1);
  if (!row) return;
  const actor: Actor = test.requestedBy ? { userId: test.requestedBy, label: row.requesterEmail ?? "deleted user" } : null;
  const target = await withKnownPin(deps, row.target);
  const jump = row.jump ? await withKnownPin(deps, row.jump) : null;
  const outcome = await probe(deps, target, jump, actor, test.id);
  await deps.db.transaction((tx) => record(tx, test.id, target, jump, outcome));
  deps.log.debug(
    { testId, target: row.target.name, status: outcome.failure ? "failed" : "passed", cause: outcome.failure?.reason },
    "connection test finished",
  );
}

/**
 * An unpinned target at an address and port whose key is already trusted takes that pin
 * before connecting (ADR 0008): a target deleted and created again, or imported, is held
 * to the key trusted there, and a different key is refused before any secret is sent.
 */
async function withKnownPin(deps: TaskDeps, t: TargetRow): Promise<TargetRow> {
  if (t.hostKeyFingerprint) return t;
  if (!(await adoptKnownHostKey(deps.db, t))) return t;
  const [fresh] = await deps.db.select().from(targets).where(eq(targets.id, t.id)).limit(1);
  return fresh ?? t;
}

/** A pin never seen on the wire was pasted by an admin: a different key is "unexpected", not "changed". */
function explainHostKey(f: SshFailure, t: TargetRow): SshFailure {
  if (f.reason !== CHANGED || !f.hostKey || t.hostKeyType !== null) return f;
  return new SshFailure(f.step, UNEXPECTED, hostKeyMismatchMessage(t, f.hostKey.fingerprint), false, f.hostKey);
}

type Outcome = {
  steps: ConnectionTestStep[];
  failure: SshFailure | null;
  /** Set when the failure was the jump host's, not the target's. */
  jumpFailed: boolean;
  hostKey: SeenHostKey | null;
  jumpHostKey: SeenHostKey | null;
  facts: TargetFacts | null;
};

async function probe(deps: TaskDeps, target: TargetRow, jump: TargetRow | null, actor: Actor, testId: string): Promise<Outcome> {
  const out: Outcome = { steps: [], failure: null, jumpFailed: false, hostKey: null, jumpHostKey: null, facts: null };
  let mark = performance.now();
  const pushStep = (s: StepReport) => {
    out.steps.push({ step: s.step, ok: s.ok, ms: s.ms, ...(s.detail ? { detail: s.detail } : {}) });
    mark = performance.now();
  };
  const fail = (f: SshFailure) => {
    out.failure = f;
    out.steps.push({ step: f.step, ok: false, ms: Math.round(performance.now() - mark), error: f.message });
  };
  let jumpConn: SshConnection | null = null;
  let conn: SshConnection | null = null;
  try {
    if (jump) {
      try {
        jumpConn = await connectSsh({
          host: jump.address,
          port: jump.port,
          login: await loginFor(deps, jump.credentialId, jump.id, actor, testId, "connection test (jump host)"),
          expectedFingerprint: jump.hostKeyFingerprint,
        });
        out.jumpHostKey = jumpConn.hostKey;
      } catch (e) {
        const f = explainHostKey(failureOf("tcp", e, `${jump.address}:${jump.port}`), jump);
        out.jumpHostKey = f.hostKey ?? null;
        out.jumpFailed = true;
        fail(new SshFailure("tcp", f.reason, `jump host ${jump.name}: ${f.message}`));
        return out;
      }
    }
    const login = await loginFor(deps, target.credentialId, target.id, actor, testId, PURPOSE).catch((e: unknown) =>
      // The vault's own words (e.g. "sealed with master key version 2, which this worker
      // does not have") reach the operator; the connection below only checks the host key.
      e instanceof SshFailure ? e : new SshFailure("auth", "credential unavailable", e instanceof Error ? e.message : String(e)),
    );
    try {
      conn = await connectSsh({
        host: target.address,
        port: target.port,
        login: login instanceof SshFailure ? { username: "opsconductor", method: "none" } : login,
        expectedFingerprint: target.hostKeyFingerprint,
        via: jumpConn?.client,
        onStep: pushStep,
      });
    } catch (e) {
      const f = explainHostKey(failureOf("tcp", e, `${target.address}:${target.port}`), target);
      out.hostKey = f.hostKey ?? null;
      // Without a usable credential the sign-in can only fail; say why in its words.
      fail(f.step === "auth" && login instanceof SshFailure ? login : f);
      return out;
    }
    out.hostKey = conn.hostKey;
    if (target.becomeCredentialId) {
      const failure = await checkBecome(deps, conn.client, target, actor, testId);
      if (failure) return (fail(failure), out);
      pushStep({ step: "become", ok: true, ms: Math.round(performance.now() - mark), detail: "sudo accepted the password" });
    }
    const facts = await readFacts(conn.client);
    if (facts instanceof SshFailure) return (fail(facts), out);
    out.facts = facts;
    pushStep({
      step: "facts",
      ok: true,
      ms: Math.round(performance.now() - mark),
      detail: [facts.hostname, facts.osRelease].filter(Boolean).join(", "),
    });
    return out;
  } catch (e) {
    // Trouble of our own (e.g. the vault cannot open a credential): the test fails with the reason.
    if (!out.failure)
      fail(e instanceof SshFailure ? e : new SshFailure(nextStepAfter(out.steps), "error", e instanceof Error ? e.message : String(e)));
    return out;
  } finally {
    conn?.close();
    jumpConn?.close();
  }
}

/** The sign-in a credential gives (ssh/login.ts); an SshFailure (thrown) says why there is none. */
function loginFor(
  deps: TaskDeps,
  credentialId: string | null,
  targetId: string,
  actor: Actor,
  testId: string,
  purpose: string,
): Promise<SshLogin> {
  return openLogin(deps.db, deps.masterKeys, credentialId, { purpose, targetId, actor, requestId: `connection-test:${testId}` });
}

async function checkBecome(deps: TaskDeps, client: Client, target: TargetRow, actor: Actor, testId: string): Promise<SshFailure | null> {
  const c = await openCredentialForUse(deps.db, deps.masterKeys, target.becomeCredentialId!, {
    purpose: "connection test (become)",
    targetId: target.id,
    actor,
    requestId: `connection-test:${testId}`,
  });
  if (c.kind !== "become_password" && c.kind !== "ssh_password") {
    return new SshFailure("become", "sudo refused", `sudo refused: a ${c.kind.replace("_", " ")} credential is not a password`);
  }
  try {
    // -k ignores cached credentials, so the password itself is what gets checked.
    const r = await execCommand(client, "sudo -S -p '' -k true", { stdin: c.secret + "\n", timeoutMs: 10_000 });
    if (r.code === 0) return null;
    const said =
      r.stderr
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .slice(-1)[0] ?? `exit code ${r.code}`;
    return new SshFailure("become", "sudo refused", `sudo refused: ${said}`);
  } catch (e) {
    const f = failureOf("become", e, "sudo");
    return new SshFailure("become", f.reason === "timed out" ? "sudo timed out" : "sudo refused", `sudo refused: ${f.message}`);
  }
}

async function readFacts(client: Client): Promise<TargetFacts | SshFailure> {
  try {
    const r = await execCommand(client, FACTS_SCRIPT, { timeoutMs: 15_000 });
    const facts = parseFacts(r.stdout);
    if (!facts.hostname && !facts.kernel)
      return new SshFailure("facts", "facts not readable", `facts not readable: ${r.stderr.trim().slice(0, 200) || `exit code ${r.code}`}`);
    return facts;
  } catch (e) {
    const f = failureOf("facts", e, "facts");
    return new SshFailure("facts", "facts not readable", `facts not readable: ${f.message}`);
  }
}

const ORDER: StepName[] = ["tcp", "handshake", "host_key", "auth", "become", "facts"];
function nextStepAfter(steps: ConnectionTestStep[]): StepName {
  return ORDER[Math.min(steps.length, ORDER.length - 1)]!;
}

function statusFor(o: Outcome): { status: TargetStatus; message: string | null } {
  const f = o.failure;
  if (!f) return { status: "reachable", message: null };
  if (o.jumpFailed) return { status: "unreachable", message: f.message };
  if (f.step === "host_key") return { status: "host_key_changed", message: f.message };
  if (f.step === "auth" || f.step === "become") return { status: "auth_failed", message: f.message };
  if (f.step === "facts") return { status: "reachable", message: f.message };
  return { status: "unreachable", message: f.message };
}

async function record(tx: Tx, testId: string, target: TargetRow, jump: TargetRow | null, o: Outcome): Promise<void> {
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

  if (jump && o.jumpHostKey)
    await settleHostKey(tx, jump, o.jumpHostKey, o.jumpFailed && (f?.reason === CHANGED || f?.reason === UNEXPECTED));
  if (!o.jumpFailed && f?.step === "host_key" && o.hostKey) {
    await recordHostKeyMismatch(tx, target, o.hostKey); // sets status host_key_changed itself
    return;
  }
  const { status, message } = statusFor(o);
  const family = o.facts ? osFamilyOf(o.facts) : null;
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
      ...(family ? { osFamily: sql`CASE WHEN ${targets.osFamily} = 'unknown' THEN ${family} ELSE ${targets.osFamily} END` } : {}),
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

async function settleHostKey(tx: Tx, t: TargetRow, seen: SeenHostKey, mismatch: boolean): Promise<void> {
  if (mismatch) return recordHostKeyMismatch(tx, t, seen);
  if (!t.hostKeyFingerprint) await pinHostKeyOnFirstUse(tx, t, seen);
  else if (t.hostKeyType === null) await confirmPastedHostKey(tx, t, seen);
  else await rememberHostKeyIfNew(tx, t, seen);
}
