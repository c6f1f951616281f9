import { inArray, sql } from "drizzle-orm";
import { runHosts, runHostSteps, runOutputCursors, runs, targets } from "@ops/db";
import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Forbidden, Invalid } from "../../errors";
import { enqueueTasks } from "../../queue/enqueue";
import { can } from "../../permissions";
import type { ExecInput } from "../../schemas/automation-runs";
import type { WorkflowDocument } from "../../schemas/automation-workflow";

/** Hosts one `automation:run-hosts` job claims at a time; several jobs share a big run. */
export const RUN_HOST_BATCH = 25;
/** At most this many workers work on one run at once. */
export const MAX_DISPATCH = 8;
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
  const signsIn = found.some((t) => t.credentialId || (input.become && t.becomeCredentialId));
  if (signsIn && !can(ctx.principal, "credentials.use")) {
    throw new Forbidden('You need the "credentials.use" permission to run commands with these targets\' credentials');
  }
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
  return inTransaction(ctx, async (tx) => {
    const [run] = await tx
      .insert(runs)
      .values({
        kind: "adhoc",
        workflow: workflow as unknown as Record<string, unknown>,
        title: input.command.split("\n")[0]!.slice(0, 200),
        parallelism: input.parallelism,
        hostsTotal: ordered.length,
        hostStepsTotal: ordered.length,
        launchedBy: ctx.principal?.userId ?? null,
        deadlineAt: sql`now() + make_interval(secs => ${input.timeoutSeconds})`,
      })
      .returning({ id: runs.id });
    const runId = run!.id;
    await tx.insert(runHosts).values(ordered.map((t, ordinal) => ({ runId, ordinal, targetId: t.id, targetName: t.name })));
    await tx.insert(runHostSteps).values(ordered.map((_, ordinal) => ({ runId, ordinal, stepId: ADHOC_STEP_ID })));
    await tx.insert(runOutputCursors).values({ runId });
    const dispatch = Math.min(MAX_DISPATCH, Math.ceil(ordered.length / RUN_HOST_BATCH));
    await enqueueTasks(
      tx,
      "automation:run-hosts",
      Array.from({ length: dispatch }, () => ({ runId })),
      { maxAttempts: 5 },
    );
    await appendAudit(tx, ctx, {
      action: "automation.runs.exec",
      objectType: "run",
      objectId: runId,
      changes: { command: input.command, targets: ordered.length, become: input.become },
    });
    return { runId };
  });
}
