import type { VerbArgs } from "../../context";
import { can } from "../../permissions";
import type { PreviewResult } from "../../schemas/automation-runs";
import type { LaunchSelector } from "../../schemas/automation-selector";
import { signsInWith } from "./credential-use";
import { planLaunch } from "./launch-plan";

/**
 * The exact hosts a launch would run on now, before it runs, with what would stop each
 * one: no credential to sign in with, no become credential for a sudo step, or no
 * permission to use the credential it has.
 */
export async function previewLaunch({
  ctx,
  input,
}: VerbArgs<{ jobId: string; version?: number; targets?: LaunchSelector }>): Promise<PreviewResult> {
  const plan = await planLaunch(ctx, input);
  const mayUse = can(ctx.principal, "credentials.use");
  const needsTarget = !plan.workerOnly;
  return {
    selector: plan.selector,
    hosts: plan.hosts.map((h) => {
      let problem: string | null = null;
      if (needsTarget && !h.credentialId) problem = "no credential: set one on the target to sign in";
      else if (needsTarget && plan.usesBecome && !h.becomeCredentialId)
        problem = "a step runs through sudo, but the target has no become credential";
      else if (signsInWith(h, plan.usesBecome) && !mayUse) problem = 'you lack the "credentials.use" permission for its credential';
      return { targetId: h.id, name: h.name, address: h.address, problem };
    }),
  };
}
