import { loadOutboundAllowList, OutboundRefused, outboundRequest } from "@ops/domain";
import { CAPTURE_BYTES, type StepHandler } from "./types";

/**
 * An HTTP request from the worker under the outbound address rules (packages/domain/src/net):
 * refused addresses fail the step with the reason, redirects are not followed, and the
 * body (bounded) is the step's output when captureBody is set.
 */
export const httpRequest: StepHandler<"http.request"> = {
  kind: "http.request",
  async run(config, ctx) {
    const allowed = await loadOutboundAllowList({ ctx: ctx.system, input: undefined });
    const timeout = AbortSignal.timeout(ctx.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const what = `${config.method} ${config.url}`;
    try {
      const res = await outboundRequest({
        url: config.url,
        method: config.method,
        headers: config.headers,
        body: config.body,
        signal,
        allowed,
        maxBodyBytes: CAPTURE_BYTES,
      });
      ctx.line(3, `[${what} answered ${res.status} from ${res.address} (${res.bodyBytes} bytes)]`);
      const captured = config.captureBody ? res.body : "";
      if (config.captureBody) {
        const lines = res.body.split("\n");
        if (lines[lines.length - 1] === "") lines.pop();
        for (const l of lines) ctx.line(1, l);
        if (res.truncated) ctx.line(3, `[body cut at ${CAPTURE_BYTES} bytes of ${res.bodyBytes}]`);
      }
      const base = { captured, truncated: config.captureBody && res.truncated };
      if (config.expectStatus.includes(res.status)) return { ...base, state: "succeeded", exitCode: 0, error: null };
      const redirect = res.status >= 300 && res.status < 400 && res.headers.location;
      const error = redirect
        ? `unexpected status ${res.status}: a redirect to ${String(res.headers.location)} (redirects are not followed)`
        : `unexpected status ${res.status} (expected ${config.expectStatus.join(", ")})`;
      ctx.line(3, `[${error}]`);
      return { ...base, state: "failed", exitCode: null, error };
    } catch (e) {
      if (ctx.signal.aborted) return { state: "cancelled", exitCode: null, error: "cancelled: the request was stopped", captured: "" };
      if (timeout.aborted) {
        const s = Math.round(ctx.timeoutMs / 1000);
        ctx.line(3, `[timed out after ${s} s: ${what}]`);
        return { state: "timed_out", exitCode: null, error: `timed out after ${s} s`, captured: "" };
      }
      const message =
        e instanceof OutboundRefused ? `refused: ${e.message}` : `${what} failed: ${e instanceof Error ? e.message : String(e)}`;
      ctx.line(3, `[${message}]`);
      return { state: "failed", exitCode: null, error: message, captured: "" };
    }
  },
};
