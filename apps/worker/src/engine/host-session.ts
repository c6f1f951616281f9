import { eq } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { targets } from "@ops/db";
import { adoptKnownHostKey, openCredentialForUse, pinHostKeyOnFirstUse, recordHostKeyMismatch, type SystemContext } from "@ops/domain";
import { connectSsh, type SshConnection } from "../ssh/connect";
import { failureOf, SshFailure } from "../ssh/failure";
import { openLogin } from "../ssh/login";
import { startRunnerShell, type RunnerShell } from "../ssh/runner-shell";
import type { RunnerSource } from "../ssh/stream-exec";

const jumpHosts = alias(targets, "jump_host");
const TARGET_DELETED = "target deleted";

/**
 * One target's SSH session for a run: the connection is opened at first use (through the
 * jump host, pinned host keys enforced, trust on first use) and reused by every step; a
 * failed opening is remembered, so later steps fail at once with the same reason. Used by
 * a host's walk and by run-scope steps placed on one target.
 *
 * When the host's workflow has more than one command (`commands`), they go to one runner
 * shell on the connection, one after another (ADR 0012 "SSH on a run"); a command while
 * the runner is busy (parallel branches) gets its own exec channel.
 */
export function hostSession(opts: {
  ctx: SystemContext;
  targetId: string | null;
  actor: { userId: string; label: string } | null;
  runId: string;
  /** Values to mask in everything stored (passwords opened for this session). */
  addSecrets: (values: string[]) => void;
  /** How many commands the host's steps may run here; more than one: they share a runner shell. */
  commands?: number;
}) {
  const { db, masterKeys } = opts.ctx.services;
  let conn: SshConnection | null = null;
  let jumpConn: SshConnection | null = null;
  let connectFailure: SshFailure | null = null;

  // One opening shared by steps that start together (parallel branches).
  let opening: Promise<SshConnection> | null = null;
  const connect = (): Promise<SshConnection> =>
    (opening ??= openConnection().then(
      (c) => (conn = c),
      (e: unknown) => {
        connectFailure = e instanceof SshFailure ? e : failureOf("tcp", e, "target");
        throw connectFailure;
      },
    ));

  async function openConnection(): Promise<SshConnection> {
    if (!opts.targetId) throw new SshFailure("tcp", TARGET_DELETED, "the target was deleted after the run started");
    const [row] = await db
      .select({ target: targets, jump: jumpHosts })
      .from(targets)
      .leftJoin(jumpHosts, eq(jumpHosts.id, targets.jumpHostId))
      .where(eq(targets.id, opts.targetId))
      .limit(1);
    if (!row) throw new SshFailure("tcp", TARGET_DELETED, "the target was deleted after the run started");
    const use = (purpose: string) => ({ purpose, targetId: row.target.id, actor: opts.actor, requestId: `run:${opts.runId}` });
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
    if (login.method === "password") opts.addSecrets([login.password]);
    try {
      const expectedFingerprint = await adoptKnownHostKey(db, row.target);
      const opened = await connectSsh({
        host: row.target.address,
        port: row.target.port,
        login,
        expectedFingerprint,
        via: jumpConn?.client,
      });
      // Trust on first use, as connection tests do (ADR 0008): only a signed-in connection
      // pins. A pinned target was just held to its pin: nothing to write.
      if (!expectedFingerprint) await pinHostKeyOnFirstUse(db, row.target, opened.hostKey);
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
      targetId: opts.targetId ?? undefined,
      actor: opts.actor,
      requestId: `run:${opts.runId}`,
    });
    if (c.kind !== "become_password" && c.kind !== "ssh_password") {
      throw new SshFailure("become", "sudo refused", `sudo refused: a ${c.kind.replace("_", " ")} credential is not a password`);
    }
    opts.addSecrets([c.secret]);
    return c.secret;
  }

  // Started by the first command that can use it; one that never became ready is not tried again.
  let runner: RunnerShell | null = null;
  let runnerBusy = false;
  let runnerFailed = false;
  const runners: RunnerSource = {
    take() {
      if (!conn || runnerBusy || runnerFailed || (opts.commands ?? 0) < 2) return null;
      if (!runner || runner.ended()) {
        const started = startRunnerShell(conn.client);
        void started.ready.then((ok) => (runnerFailed ||= !ok));
        runner = started;
      }
      runnerBusy = true;
      return runner;
    },
    give(r) {
      if (r === runner) runnerBusy = false;
    },
  };

  return {
    connect,
    becomePassword,
    runners,
    connectFailed: () => connectFailure !== null,
    /** The target when its connection could not be opened at all (network, timeout; not a sign-in or host-key refusal). */
    unreachable(): { targetId: string; cause: string } | null {
      const f: SshFailure | null = connectFailure;
      if (!f || !opts.targetId || f.step !== "tcp" || f.reason === TARGET_DELETED) return null;
      return { targetId: opts.targetId, cause: f.message };
    },
    close() {
      runner?.close();
      conn?.close();
      jumpConn?.close();
    },
  };
}
