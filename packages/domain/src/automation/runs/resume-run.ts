import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import { loadFinishedRun, startChildRun } from "./child-run";

/**
 * Continues a finished run from where each host stopped, as a new run: the hosts that did
 * not succeed, each with its succeeded host-steps copied as already recorded, so the
 * engine does not run them again and goes on from the step that failed (or was
 * cancelled, interrupted, timed out, or never reached).
 *
 * Skipped host-steps are not copied: a skip is a decision, not work, and the engine
 * makes it again from the copied results. It comes out the same when nothing upstream
 * changed, and differently when it must: a step skipped because an earlier one failed,
 * or because the run was cancelled, gets its turn once that step succeeds.
 */
export async function resumeRun({ ctx, input }: VerbArgs<{ runId: string }>) {
  return inTransaction(ctx, async (tx) => {
    const parent = await loadFinishedRun(tx, input.runId, "resume");
    const hosts = parent.hosts.filter((h) => h.state !== "succeeded");
    if (hosts.length === 0) throw new Conflict("Every host of this run succeeded: there is nothing to resume");
    const keep = new Map(hosts.map((h) => [h.ordinal, parent.steps.filter((s) => s.ordinal === h.ordinal && s.state === "succeeded")]));
    const started = await startChildRun(tx, ctx, parent.run, hosts, keep);
    await appendAudit(tx, ctx, {
      action: "automation.runs.resume",
      objectType: "run",
      objectId: started.runId,
      changes: {
        parentRunId: input.runId,
        hosts: hosts.length,
        hostStepsKept: [...keep.values()].reduce((n, s) => n + s.length, 0),
      },
    });
    return started;
  });
}
