import { and, eq } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { runHostSteps, targets } from "@ops/db";
import {
  adoptKnownHostKey,
  finishHostStep,
  openCredentialForUse,
  pinHostKeyOnFirstUse,
  recordHostKeyMismatch,
  renderStepConfig,
  startHostStep,
  TemplateError,
  type HostLease,
  type HostStepResult,
  type SystemContext,
  type TemplateScope,
  type WorkflowDocument,
  type WorkflowStep,
} from "@ops/domain";
import { connectSsh, type SshConnection } from "../ssh/connect";
import { failureOf, SshFailure } from "../ssh/failure";
import { openLogin } from "../ssh/login";
import { shellQuote, streamCommand } from "../ssh/stream-exec";
import type { OutputBuffer } from "./output-buffer";
import { planHost, type StepOutcome } from "./walk";

const jumpHosts = alias(targets, "jump_host");
const CAPTURE_BYTES = 64 * 1024;

export type HostRun = {
  ctx: SystemContext;
  lease: HostLease;
  targetId: string | null;
  workflow: WorkflowDocument;
  actor: { userId: string; label: string } | null;
  output: OutputBuffer;
  /** Aborted on cancel, on a lost lease, or when the worker stops. */
  signal: AbortSignal;
  /** A job run's launch values (secrets opened) for its step templates; null for ad-hoc commands. */
  template?: { title: string; params: Record<string, unknown>; secrets: string[] } | null;
};

/**
 * Runs one host's part of a workflow: the steps in graph order over one SSH connection
 * (opened at the first SSH step, through the jump host, pinned host key enforced).
 * Recorded host-steps are never run again (a resumed host skips them). Answers the
 * host's outcome, or null when the lease was lost and nothing more may be written.
 */
export async function runHost(run: HostRun): Promise<{ state: "succeeded" | "failed" | "cancelled"; error: string | null } | null> {
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
  // Earlier steps' results on this host, for later steps' templates.
  const results: Record<string, { exitCode: number | null; output: string; state: string }> = {};
  if (run.template) run.output.addSecrets(run.lease.ordinal, run.template.secrets);

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

  /** One attempt of an ssh.command step. */
  async function attempt(step: WorkflowStep): Promise<HostStepResult> {
    const config = step.config as {
      command: string;
      become?: boolean;
      env?: Record<string, string>;
      workingDirectory?: string;
      pty?: boolean;
    };
    let lines = 0;
    let bytes = 0;
    let captured = "";
    const note = (text: string) => {
      lines++;
      bytes += Buffer.byteLength(text) + 1;
      run.output.push(run.lease, step.id, 3, text);
    };
    /** Reports lines dropped at the cap (one engine line) and answers their bytes. */
    const endStep = () => {
      const dropped = run.output.endStep(run.lease, step.id);
      if (dropped) lines++;
      return dropped;
    };
    try {
      const c = await connect();
      const command = config.workingDirectory ? `cd ${shellQuote(config.workingDirectory)} && ${config.command}` : config.command;
      const r = await streamCommand(c.client, command, {
        timeoutMs: (step.timeoutSeconds ?? 3600) * 1000,
        signal: run.signal,
        env: config.env,
        pty: config.pty,
        // Through sudo: the remote kill on cancel or timeout goes through sudo too.
        become: config.become ? await becomePassword() : undefined,
        // The per-step cap is the output buffer's (OPS_STEP_OUTPUT_CAP_BYTES), which says so in the output.
        capBytes: Number.MAX_SAFE_INTEGER,
        onLine: (stream, text) => {
          if (stream === 1) captured = (captured + text + "\n").slice(-CAPTURE_BYTES);
          if (!run.output.push(run.lease, step.id, stream, text)) return;
          lines++;
          bytes += Buffer.byteLength(text) + 1;
        },
      });
      const droppedBytes = endStep() + r.droppedBytes;
      const base = { outputLines: lines, outputBytes: bytes, truncated: droppedBytes > 0, droppedBytes, captured };
      if (r.aborted) return { ...base, state: "cancelled", exitCode: null, error: "cancelled: the remote command was stopped" };
      if (r.timedOut) {
        note(`[timed out after ${step.timeoutSeconds ?? 3600} s: the remote command was stopped]`);
        return { ...base, state: "timed_out", exitCode: null, error: `timed out after ${step.timeoutSeconds ?? 3600} s` };
      }
      if (r.exitCode === 0) return { ...base, state: "succeeded", exitCode: 0, error: null };
      const error = r.exitCode === null ? `killed by signal ${r.signal ?? "unknown"}` : `exit code ${r.exitCode}`;
      return { ...base, state: "failed", exitCode: r.exitCode, error };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const droppedBytes = endStep();
      note(`[${message}]`);
      return {
        state: "failed",
        exitCode: null,
        error: message,
        outputLines: lines,
        outputBytes: bytes,
        truncated: droppedBytes > 0,
        droppedBytes,
        captured: captured || null,
      };
    }
  }

  let templateTarget: TemplateScope["target"] | undefined;
  /** The step with its templated fields rendered for this host (ADR 0012), or why it cannot be. */
  async function rendered(step: WorkflowStep): Promise<WorkflowStep | { error: string }> {
    if (!run.template) return step;
    if (!templateTarget) {
      const [t] = run.targetId
        ? await db
            .select({
              id: targets.id,
              name: targets.name,
              address: targets.address,
              port: targets.port,
              labels: targets.labels,
              facts: targets.facts,
            })
            .from(targets)
            .where(eq(targets.id, run.targetId))
            .limit(1)
        : [];
      templateTarget = t ? { ...t, facts: t.facts ?? {} } : { id: null, name: "", address: "", port: 0, labels: {}, facts: {} };
    }
    const scope = {
      params: run.template.params,
      target: templateTarget,
      steps: results,
      run: { id: run.lease.runId, title: run.template.title },
    };
    try {
      return { ...step, config: renderStepConfig(step.kind, step.config, scope, step.id) };
    } catch (e) {
      if (e instanceof TemplateError) return { error: e.message };
      throw e;
    }
  }

  /** Records a step that could not start as failed, with the reason in its output. */
  async function failStep(step: WorkflowStep, error: string): Promise<StepOutcome | null> {
    const result: HostStepResult = {
      state: "failed",
      exitCode: null,
      error,
      outputLines: 1,
      outputBytes: Buffer.byteLength(error) + 3,
      truncated: false,
      captured: null,
    };
    if (!(await startHostStep({ ctx, input: { lease: run.lease, stepId: step.id } }))) return null;
    run.output.push(run.lease, step.id, 3, `[${error}]`);
    if (!(await finishHostStep({ ctx, input: { lease: run.lease, stepId: step.id, result } }))) return null;
    return { state: "failed", exitCode: null, output: "", error };
  }

  /** Runs a step with its retries; null when the lease was lost. */
  async function execute(step: WorkflowStep): Promise<StepOutcome | null> {
    const outcome = await executeOnce(step);
    if (outcome) results[step.id] = { exitCode: outcome.exitCode, output: outcome.output, state: outcome.state };
    return outcome;
  }

  async function executeOnce(template: WorkflowStep): Promise<StepOutcome | null> {
    const previous = recorded.get(template.id);
    if (previous && !["pending", "running"].includes(previous.state)) {
      return {
        state: previous.state as StepOutcome["state"],
        exitCode: previous.exitCode,
        output: previous.captured ?? "",
        error: previous.error,
      };
    }
    if (template.kind !== "ssh.command") return failStep(template, `step kind ${template.kind} does not run on this version of the worker`);
    const step = await rendered(template);
    if ("error" in step) return failStep(template, step.error);
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
    const outcome = await planHost(run.workflow, { execute, skip, params: run.template?.params ?? {} });
    if (outcome === null) return null;
    if (run.signal.aborted && outcome.state !== "succeeded") return { state: "cancelled", error: "cancelled" };
    return outcome;
  } finally {
    (conn as SshConnection | null)?.close();
    (jumpConn as SshConnection | null)?.close();
  }
}

export { shellQuote };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}
