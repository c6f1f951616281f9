import { inArray } from "drizzle-orm";
import { targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Invalid } from "../../errors";
import type { ExecInput } from "../../schemas/automation-runs";
import type { WorkflowDocument } from "../../schemas/automation-workflow";
import { eventActor } from "../../communication/emit-event";
import { assertMayUseCredentials, emitRunCredentialsUsed } from "./credential-use";
import { writeRun } from "./write-run";

export { RUN_HOST_BATCH } from "./write-run";
export const ADHOC_STEP_ID = "command";

/**
 * An ad-hoc command (AWX's "Run Command"): a run of one `ssh.command` step on the given
 * targets, written with its hosts and host-steps and dispatched in one transaction
 * (DESIGN.md decision 4). Signing in with a target's credential needs `credentials.use`.
 */
export async function execCommand({ ctx, input }: VerbArgs<ExecInput>) {
  const ids = [...new Set(input.targetIds)];
  const found = await ctx.services.db
    .select({ id: targets.id, name: targets.name, credentialId: targets.credentialId, becomeCredentialId: targets.becomeCredentialId })
    .from(targets)
    .where(inArray(targets.id, ids));
  if (found.length !== ids.length) {
    const known = new Set(found.map((t) => t.id));
    throw new Invalid(`Unknown target: ${ids.filter((id) => !known.has(id)).join(", ")}`, "targetIds");
  }
  assertMayUseCredentials(ctx.principal, found, input.become);
  const ordered = ids.map((id) => found.find((t) => t.id === id)!);
  const workflow: WorkflowDocument = {
    version: 1,
    steps: [
      {
        id: ADHOC_STEP_ID,
        name: "Command",
        kind: "ssh.command",
        config: { command: input.command, become: input.become, env: {}, pty: false },
        retries: { count: 0, backoffSeconds: 5, factor: 2 },
        timeoutSeconds: input.timeoutSeconds,
        continueOnError: false,
        disabled: false,
        idempotent: false,
        join: "all",
      },
    ],
    edges: [],
  };
  const title = input.command.split("\n")[0]!.slice(0, 200);
  return inTransaction(ctx, async (tx) => {
    const { runId } = await writeRun(tx, {
      kind: "adhoc",
      workflow,
      title,
      parallelism: input.parallelism,
      // The timeout is the command's, on each host (the step's); a run-wide deadline at
      // the same moment would race it and call a command that timed out a timed-out run.
      timeoutSeconds: null,
      hosts: ordered,
      launchedBy: ctx.principal?.userId ?? null,
    });
    await appendAudit(tx, ctx, {
      action: "automation.runs.exec",
      objectType: "run",
      objectId: runId,
      changes: { command: input.command, targets: ordered.length, become: input.become },
    });
    await emitRunCredentialsUsed(tx, { runId, title, targetIds: ids, workflow, actor: eventActor(ctx) });
    return { runId };
  });
}
