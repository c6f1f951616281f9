import { appendAudit } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Conflict } from "../../errors";
import { loadFinishedRun, startChildRun } from "./child-run";

/**
 * Runs a finished run again from the start as a new run (its `parentRunId` is this
 * one): on every host, or with `failedOnly` on the hosts that did not succeed (failed,
 * cancelled, skipped). Nothing of the old run is copied but what it was launched with.
 */
export async function rerunRun({ ctx, input }: VerbArgs<{ runId: string; failedOnly: boolean }>) {
  return inTransaction(ctx, async (tx) => {
    const parent = await loadFinishedRun(tx, input.runId, "rerun");
    const hosts = input.failedOnly ? parent.hosts.filter((h) => h.state !== "succeeded") : parent.hosts;
    if (hosts.length === 0) throw new Conflict("Every host of this run succeeded: there is no failed host to rerun");
    const started = await startChildRun(tx, ctx, parent.run, hosts);
    await appendAudit(tx, ctx, {
      action: "automation.runs.rerun",
      objectType: "run",
      objectId: started.runId,
      changes: { parentRunId: input.runId, failedOnly: input.failedOnly, hosts: hosts.length },
    });
    return started;
  });
}
