import { Forbidden } from "../../errors";
import { can, type Principal } from "../../permissions";
import type { WorkflowDocument } from "../../schemas/automation-workflow";

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
