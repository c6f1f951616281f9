import { and, eq } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { runHostSteps, targets } from "@ops/db";
import {
  adoptKnownHostKey,
  finishHostStep,
  openCredentialForUse,
  pinHostKeyOnFirstUse,
  recordHostKeyMismatch,
  startHostStep,
  type HostLease,
  type HostStepResult,
  type SystemContext,
  type WorkflowDocument,
  type WorkflowStep,
} from "@ops/domain";
import { connectSsh, type SshConnection } from "../ssh/connect";
import { failureOf, SshFailure } from "../ssh/failure";
import { openLogin } from "../ssh/login";
import { executeStep, type StepContext } from "../steps/registry";
import { sleep } from "../steps/wait";
import type { OutputBuffer } from "./output-buffer";
import { barrierHooks } from "./barrier";
import { planHost, type StepOutcome } from "./walk";

/** A host's end, or "parked" at a run-scope step (its lease already given up). */
export type HostOutcome = { state: "succeeded" | "failed" | "cancelled"; error: string | null } | { state: "parked"; stepId: string };

const jumpHosts = alias(targets, "jump_host");

export type HostRun = {
  ctx: SystemContext;
  lease: HostLease;
  targetId: string | null;
  workflow: WorkflowDocument;
  actor: { userId: string; label: string } | null;
  output: OutputBuffer;
  /** Aborted on cancel, on a lost lease, or when the worker stops. */
  signal: AbortSignal;
  /** Launch values, for conditions on params.<name>. */
  params?: Record<string, unknown>;
};

/**
 * Runs one host's part of a workflow: the steps in graph order over one SSH connection
 * (opened at the first SSH step, through the jump host, pinned host key enforced).
 * Recorded host-steps are never run again (a resumed host skips them). Answers the
 * host's outcome, or null when the lease was lost and nothing more may be written.
 */
export async function runHost(run: HostRun): Promise<HostOutcome | null> {
  const { ctx } = run;
  const { db, masterKeys } = ctx.services;
  const recorded = new Map(
    (
      await db
        .select()
        .from(runHostSteps)
        .where(and(eq(runHostSteps.runId, run.lease.runId), eq(runHostSteps.ordinal, run.lease.ordinal)))
    ).map((s) => [s.stepId, s]),
  );
  let conn: SshConnection | null = null;
  let jumpConn: SshConnection | null = null;
  let connectFailure: SshFailure | null = null;

  const connect = async (): Promise<SshConnection> => {
    if (conn) return conn;
    if (connectFailure) throw connectFailure;
    try {
      conn = await openConnection();
      return conn;
    } catch (e) {
      connectFailure = e instanceof SshFailure ? e : failureOf("tcp", e, "target");
      throw connectFailure;
    }
  };

  async function openConnection(): Promise<SshConnection> {
    if (!run.targetId) throw new SshFailure("tcp", "target deleted", "the target was deleted after the run started");
    const [row] = await db
      .select({ target: targets, jump: jumpHosts })
      .from(targets)
      .leftJoin(jumpHosts, eq(jumpHosts.id, targets.jumpHostId))
      .where(eq(targets.id, run.targetId))
      .limit(1);
    if (!row) throw new SshFailure("tcp", "target deleted", "the target was deleted after the run started");
    const use = (purpose: string) => ({ purpose, targetId: row.target.id, actor: run.actor, requestId: `run:${run.lease.runId}` });
    if (row.jump) {
      const jump = row.jump;
      try {
        jumpConn = await connectSsh({
          host: jump.address,
          port: jump.port,
          login: await openLogin(db, masterKeys, jump.credentialId, use("run (jump host)")),
          // A target recreated at a trusted endpoint is held to that endpoint's key (ADR 0008).
          expectedFingerprint: await adoptKnownHostKey(db, jump),
        });
      } catch (e) {
        const f = failureOf("tcp", e, `${jump.address}:${jump.port}`);
        if (f.step === "host_key" && f.hostKey) await recordHostKeyMismatch(db, jump, f.hostKey);
        throw new SshFailure(f.step, f.reason, `jump host ${jump.name}: ${f.message}`);
      }
      await pinHostKeyOnFirstUse(db, jump, jumpConn.hostKey);
    }
    const login = await openLogin(db, masterKeys, row.target.credentialId, use("run"));
    if (login.method === "password") run.output.addSecrets(run.lease.ordinal, [login.password]);
    try {
      const opened = await connectSsh({
        host: row.target.address,
        port: row.target.port,
        login,
        expectedFingerprint: await adoptKnownHostKey(db, row.target),
        via: jumpConn?.client,
      });
      // Trust on first use, as connection tests do (ADR 0008): only a signed-in connection pins.
      await pinHostKeyOnFirstUse(db, row.target, opened.hostKey);
      becomeCredentialId = row.target.becomeCredentialId;
      return opened;
    } catch (e) {
      const f = failureOf("tcp", e, `${row.target.address}:${row.target.port}`);
      if (f.step === "host_key" && f.hostKey) await recordHostKeyMismatch(db, row.target, f.hostKey);
      throw f;
    }
  }
  let becomeCredentialId: string | null = null;

  async function becomePassword(): Promise<string> {
    if (!becomeCredentialId) throw new SshFailure("become", "no become credential", "sudo needs a become credential on this target");
    const c = await openCredentialForUse(db, masterKeys, becomeCredentialId, {
      purpose: "run (become)",
      targetId: run.targetId ?? undefined,
      actor: run.actor,
      requestId: `run:${run.lease.runId}`,
    });
    if (c.kind !== "become_password" && c.kind !== "ssh_password") {
      throw new SshFailure("become", "sudo refused", `sudo refused: a ${c.kind.replace("_", " ")} credential is not a password`);
    }
    run.output.addSecrets(run.lease.ordinal, [c.secret]);
    return c.secret;
  }

  /** One attempt of a step, dispatched to its kind's handler (apps/worker/src/steps/). */
  async function attempt(step: WorkflowStep): Promise<HostStepResult> {
    let lines = 0;
    let bytes = 0;
    const context: StepContext = {
      ssh: connect,
      becomePassword,
      line: (stream, text) => {
        lines++;
        bytes += Buffer.byteLength(text) + 1;
        run.output.push(run.lease, step.id, stream, text);
      },
      addSecrets: (values) => run.output.addSecrets(run.lease.ordinal, values),
      signal: run.signal,
      timeoutMs: (step.timeoutSeconds ?? 3600) * 1000,
      runId: run.lease.runId,
    };
    const r = await executeStep(step.kind, step.config, context);
    return {
      state: r.state,
      exitCode: r.exitCode,
      error: r.error,
      outputLines: lines,
      outputBytes: bytes,
      truncated: r.truncated ?? false,
      captured: r.captured,
    };
  }

  /** Runs a step with its retries; null when the lease was lost. */
  async function execute(step: WorkflowStep): Promise<StepOutcome | null> {
    const previous = recorded.get(step.id);
    if (previous && !["pending", "running"].includes(previous.state)) {
      return {
        state: previous.state as StepOutcome["state"],
        exitCode: previous.exitCode,
        output: previous.captured ?? "",
        error: previous.error,
      };
    }
    for (let tryNo = 0; ; tryNo++) {
      if (!(await startHostStep({ ctx, input: { lease: run.lease, stepId: step.id } }))) return null;
      const result = await attempt(step);
      const retry = result.state === "failed" && tryNo < step.retries.count && !connectFailure && !run.signal.aborted;
      if (retry) {
        const wait = step.retries.backoffSeconds * step.retries.factor ** tryNo;
        run.output.push(run.lease, step.id, 3, `[attempt ${tryNo + 1} failed (${result.error}); retrying in ${wait} s]`);
        await sleep(wait * 1000, run.signal);
        continue;
      }
      if (!(await finishHostStep({ ctx, input: { lease: run.lease, stepId: step.id, result } }))) return null;
      return { state: result.state, exitCode: result.exitCode, output: result.captured ?? "", error: result.error };
    }
  }

  async function skip(step: WorkflowStep): Promise<boolean> {
    const previous = recorded.get(step.id);
    if (!previous || !["pending", "running"].includes(previous.state)) return true;
    const result: HostStepResult = {
      state: "skipped",
      exitCode: null,
      error: null,
      outputLines: 0,
      outputBytes: 0,
      truncated: false,
      captured: null,
    };
    return finishHostStep({ ctx, input: { lease: run.lease, stepId: step.id, result } });
  }

  try {
    const outcome = await planHost(run.workflow, { execute, skip, params: run.params ?? {}, ...barrierHooks(ctx, run.lease, () => run.output.flush()) });
    if (outcome === null || outcome.state === "at") return null;
    if (outcome.state === "parked") return outcome;
    if (run.signal.aborted && outcome.state !== "succeeded") return { state: "cancelled", error: "cancelled" };
    return outcome;
  } finally {
    (conn as SshConnection | null)?.close();
    (jumpConn as SshConnection | null)?.close();
  }
}
