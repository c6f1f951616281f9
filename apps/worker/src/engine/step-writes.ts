import { finishHostStep, startHostStep, type HostLease, type HostStepResult, type SystemContext } from "@ops/domain";
import { whileUnreachable } from "./db-retry";

/**
 * One host's fenced host-step writes (ADR 0012). A succeeded result is held back for the
 * rest of the event-loop turn it was reached in: when the walk starts the host's next
 * step in that turn (a chain of steps does), the result and the start are one statement,
 * one round trip per step instead of two. Otherwise (the last step, a join still waiting
 * on another branch) it is written alone at the end of the turn, as it always was. A
 * failed or timed-out result is written at once, with its event.
 *
 * A held result is reported recorded before it is: `settle` writes what is held and
 * answers whether every write kept the lease. The host's end, parking and barrier reads
 * settle first, so a host is never reported done before its results are stored.
 */
export function hostStepWrites(ctx: SystemContext, lease: HostLease) {
  let held: { stepId: string; result: HostStepResult } | null = null;
  const writing = new Set<Promise<boolean>>();
  let lost = false;
  /** A write that failed for good (the database away past the retries): the host ends with it. */
  let failure: unknown = null;

  const track = (p: Promise<boolean>) => {
    const w = p.then(
      (ok) => {
        if (!ok) lost = true;
        return ok;
      },
      (e: unknown) => {
        failure ??= e;
        throw e;
      },
    );
    writing.add(w);
    const done = () => void writing.delete(w);
    w.then(done, done);
    return w;
  };
  const usable = () => {
    if (failure) throw failure;
    return !lost;
  };
  /** Results being written on their own: a later start waits for them (its step began after they ended). */
  const finishing = new Set<Promise<boolean>>();
  const finishNow = (stepId: string, result: HostStepResult) => {
    const w = track(whileUnreachable(() => finishHostStep({ ctx, input: { lease, stepId, result } })));
    finishing.add(w);
    const done = () => void finishing.delete(w);
    w.then(done, done);
    return w;
  };
  const writeHeld = () => {
    const h = held;
    held = null;
    if (h) finishNow(h.stepId, h.result).catch(() => {}); // seen through `failure`
  };

  return {
    /** A host-step attempt begins, with the held result of the step before it; false: the lease is gone. */
    async start(stepId: string): Promise<boolean> {
      if (!usable()) return false;
      const after = held ?? undefined;
      held = null;
      // A join after parallel branches: the other branches' results are stored first, so no
      // step looks started before the steps it waited for had ended.
      while (finishing.size) await Promise.allSettled([...finishing]);
      if (!usable()) return false;
      return track(whileUnreachable(() => startHostStep({ ctx, input: { lease, stepId, after } })));
    },
    /** A host-step's result; false: the lease is gone. */
    async finish(stepId: string, result: HostStepResult): Promise<boolean> {
      if (!usable()) return false;
      if (result.state !== "succeeded") return finishNow(stepId, result);
      // Another branch's result still held goes on its own: one rides with each start.
      writeHeld();
      const mine = (held = { stepId, result });
      setImmediate(() => {
        if (held === mine) writeHeld();
      });
      return true;
    },
    /** Writes what is held and waits for every write; false when one found the lease gone. */
    async settle(): Promise<boolean> {
      writeHeld();
      while (writing.size) await Promise.allSettled([...writing]);
      return usable();
    },
  };
}
