import { eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { targets, type Executor } from "@ops/db";
import { emitCredentialsUsed } from "../../assets/credentials/credential-used-event";
import { Forbidden } from "../../errors";
import { can, type Principal } from "../../permissions";
import { stepPlacement, type WorkflowDocument } from "../../schemas/automation-workflow";

/** A target's stored sign-in: its credential, and the become (sudo) one. */
export type SignIn = { credentialId: string | null; becomeCredentialId: string | null };

/** Some enabled step runs through sudo with the target's become credential. */
export function workflowUsesBecome(workflow: WorkflowDocument): boolean {
  return workflow.steps.some((s) => !s.disabled && (s.config as { become?: unknown }).become === true);
}

/** Whether running on this host signs in with a stored credential (password, key, sudo). */
export function signsInWith(host: SignIn, usesBecome: boolean): boolean {
  return !!host.credentialId || (usesBecome && !!host.becomeCredentialId);
}

/**
 * The one rule for every way a run starts (exec, launch, rerun, resume): signing in with a
 * target's credential, or its become credential when a step uses sudo, needs
 * `credentials.use` (issue 7, point 4).
 */
export function assertMayUseCredentials(principal: Principal | null, hosts: readonly SignIn[], usesBecome: boolean): void {
  if (can(principal, "credentials.use") || !hosts.some((h) => signsInWith(h, usesBecome))) return;
  throw new Forbidden('You need the "credentials.use" permission to run commands with these targets\' credentials');
}

const jumpHosts = alias(targets, "jump_host");

/**
 * assets.credential_used for a run that is starting (exec, launch, rerun, resume), in its
 * transaction: once per credential the run signs in with on its targets, their jump
 * hosts, and the become credential when a step uses sudo. A run whose every step runs on
 * the worker signs in nowhere.
 */
export async function emitRunCredentialsUsed(
  tx: Executor,
  run: { runId: string; title: string; targetIds: (string | null)[]; workflow: WorkflowDocument; actor: string },
): Promise<void> {
  const ids = run.targetIds.filter((id): id is string => id !== null);
  const signsIn = run.workflow.steps.some((s) => !s.disabled && stepPlacement(s) !== "worker");
  if (ids.length === 0 || !signsIn) return;
  const usesBecome = workflowUsesBecome(run.workflow);
  const rows = await tx
    .select({
      credentialId: targets.credentialId,
      becomeCredentialId: targets.becomeCredentialId,
      jumpCredentialId: jumpHosts.credentialId,
    })
    .from(targets)
    .leftJoin(jumpHosts, eq(jumpHosts.id, targets.jumpHostId))
    .where(inArray(targets.id, ids));
  await emitCredentialsUsed(tx, {
    credentialIds: rows.flatMap((r) => [r.credentialId, r.jumpCredentialId, usesBecome ? r.becomeCredentialId : null]),
    usedBy: { kind: "run", id: run.runId, label: run.title },
    actor: run.actor,
  });
}
