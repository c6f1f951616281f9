import type { StepHandler } from "./types";

/** Waits `seconds` on the worker (in a per-host walk, for that host); cancel ends it at once. */
export const wait: StepHandler<"wait"> = {
  kind: "wait",
  async run(config, ctx) {
    const ms = config.seconds * 1000;
    if (ms > ctx.timeoutMs) {
      await sleep(ctx.timeoutMs, ctx.signal);
      if (ctx.signal.aborted) return { state: "cancelled", exitCode: null, error: "cancelled: the wait was stopped", captured: "" };
      const s = Math.round(ctx.timeoutMs / 1000);
      return { state: "timed_out", exitCode: null, error: `timed out after ${s} s`, captured: "" };
    }
    await sleep(ms, ctx.signal);
    if (ctx.signal.aborted) return { state: "cancelled", exitCode: null, error: "cancelled: the wait was stopped", captured: "" };
    return { state: "succeeded", exitCode: 0, error: null, captured: "" };
  },
};

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal.removeEventListener("abort", onAbort), resolve()), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
