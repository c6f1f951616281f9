import { STEP_KINDS, isStepKind, type StepKind } from "@ops/domain/schemas/automation-steps";
import { httpRequest } from "./http-request";
import { job, template } from "./expanded";
import { notify } from "./notify";
import { sshCommand } from "./ssh-command";
import { sshScript } from "./ssh-script";
import { sshUpload } from "./ssh-upload";
import { failed, type StepContext, type StepHandler, type StepRunResult } from "./types";
import { wait } from "./wait";

/** One handler per step kind of the catalogue (STYLE.md 17): a new kind does not compile until it has one. */
export const STEP_HANDLERS: { [K in StepKind]: StepHandler<K> } = {
  "ssh.command": sshCommand,
  "ssh.script": sshScript,
  "ssh.upload": sshUpload,
  "http.request": httpRequest,
  wait,
  notify,
  job,
  template,
};

/**
 * Runs one attempt of a step whose config is already rendered: the config is parsed again
 * with the kind's schema (a stored workflow may predate the schema), then handed to the
 * kind's handler. Errors become a failed result with the reason as the step's last line.
 */
export async function executeStep(kind: string, config: unknown, ctx: StepContext): Promise<StepRunResult> {
  if (!isStepKind(kind)) return note(ctx, failed(`unknown step kind ${kind}`));
  const parsed = STEP_KINDS[kind].config.safeParse(config ?? {});
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ");
    return note(ctx, failed(`the ${kind} step's config is not valid: ${why}`));
  }
  if (ctx.signal.aborted) return { state: "cancelled", exitCode: null, error: "cancelled", captured: "" };
  try {
    const handler = STEP_HANDLERS[kind] as StepHandler<StepKind>;
    if (!handler.preparesBeforeStart && !(await ctx.started)) return LEASE_LOST;
    // Worker-placed kinds never touch the target's connection.
    const placed = STEP_KINDS[kind].runsOn === "target" ? ctx : { ...ctx, ssh: null };
    return await handler.run(parsed.data as never, placed);
  } catch (e) {
    return note(ctx, failed(e instanceof Error ? e.message : String(e)));
  }
}

/** Never recorded: the attempt's start was not, and its host stops here. */
const LEASE_LOST: StepRunResult = { state: "cancelled", exitCode: null, error: "cancelled: the lease was lost", captured: "" };

function note(ctx: StepContext, r: StepRunResult): StepRunResult {
  if (r.error) ctx.line(3, `[${r.error}]`);
  return r;
}

export type { StepContext, StepRunResult } from "./types";
