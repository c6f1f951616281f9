import type { Client } from "ssh2";
import { z } from "zod";
import type { ConnectionTestStep, TargetFacts } from "@ops/db";
import {
  claimConnectionTest,
  failConnectionTest,
  HOST_KEY_CHANGED,
  HOST_KEY_UNEXPECTED,
  hostKeyMismatchMessage,
  openCredentialForUse,
  recordConnectionTest,
  systemContext,
  type ConnectionTestActor as Actor,
  type ConnectionTestOutcome,
  type ConnectionTestTarget as TargetRow,
} from "@ops/domain";
import { connectSsh, type SshConnection, type SshLogin, type StepReport } from "../ssh/connect";
import { execCommand } from "../ssh/exec";
import { FACTS_SCRIPT, osFamilyOf, parseFacts } from "../ssh/facts";
import { SshFailure, failureOf, type StepName } from "../ssh/failure";
import { openLogin } from "../ssh/login";
import type { JobAttempt, TaskDeps } from "./types";

export const identifier = "assets:connection-test";
export const payload = z.object({ testId: z.uuid() });

const PURPOSE = "connection test";

/**
 * One target's connection test: tcp, handshake, host key, sign-in (through the jump host
 * when set), become, facts. The domain claims the test and records the outcome
 * (claimConnectionTest / recordConnectionTest); this task only probes over SSH. A target
 * that fails is a result, not an error: only infrastructure trouble throws.
 */
export async function handler({ testId }: z.infer<typeof payload>, deps: TaskDeps, job: JobAttempt): Promise<void> {
  const ctx = systemContext(deps, `worker ${deps.workerId}`);
  try {
    const claimed = await claimConnectionTest({ ctx, input: { testId } });
    if (!claimed) return; // finished already (a retried job) or its target was deleted
    const outcome = await probe(deps, claimed.target, claimed.jump, claimed.actor, testId);
    await recordConnectionTest({ ctx, input: { testId, target: claimed.target, jump: claimed.jump, outcome } });
    deps.log.debug(
      { testId, target: claimed.target.name, status: outcome.failure ? "failed" : "passed", cause: outcome.failure?.reason },
      "connection test finished",
    );
  } catch (e) {
    // Out of retries: the test must end (failed), or progress would wait for it forever.
    if (job.attempt >= job.maxAttempts)
      await failConnectionTest({ ctx, input: { testId, error: e instanceof Error ? e.message : String(e) } });
    throw e;
  }
}

/** A pin never seen on the wire was pasted by an admin: a different key is "unexpected", not "changed". */
function explainHostKey(f: SshFailure, t: TargetRow): SshFailure {
  if (f.reason !== HOST_KEY_CHANGED || !f.hostKey || t.hostKeyType !== null) return f;
  return new SshFailure(f.step, HOST_KEY_UNEXPECTED, hostKeyMismatchMessage(t, f.hostKey.fingerprint), false, f.hostKey);
}

/** What recordConnectionTest records; the failure keeps the probe's own error type. */
type Outcome = Omit<ConnectionTestOutcome, "failure"> & { failure: SshFailure | null };

async function probe(deps: TaskDeps, target: TargetRow, jump: TargetRow | null, actor: Actor, testId: string): Promise<Outcome> {
  const out: Outcome = { steps: [], failure: null, jumpFailed: false, hostKey: null, jumpHostKey: null, facts: null, osFamily: null };
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
    out.osFamily = osFamilyOf(facts);
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
