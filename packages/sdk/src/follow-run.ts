import { TRPCClientError } from "@trpc/client";
import type { OpsClient, OpsOutputs } from "./client";

type OutputEvent = Extract<OpsOutputs["automation"]["runs"]["output"]["lines"][number], object>;
export type RunOutputLine = OutputEvent;
export type RunEndState = OpsOutputs["automation"]["runs"]["get"]["state"];
export type FollowItem = { type: "line"; line: RunOutputLine } | { type: "end"; state: RunEndState };

/** Answers that retrying will not change. */
const FINAL_STATUS = new Set([400, 401, 403, 404]);
const RETRY_MS = [250, 500, 1_000, 2_000, 5_000];

/**
 * A run's output as it happens (`automation.runs.onOutput` over SSE): every line once, in
 * order, then `{type: "end", state}` when the run has finished and every line was
 * delivered. The SSE link resumes a dropped stream from the last sequence number
 * (Last-Event-ID); should the subscription fail anyway (a restarted server), this
 * subscribes again from the last line it yielded.
 *
 *     for await (const item of followRun(client, runId)) ...
 */
export async function* followRun(
  client: OpsClient,
  runId: string,
  opts: { ordinal?: number; afterSeq?: number; signal?: AbortSignal } = {},
): AsyncGenerator<FollowItem> {
  let lastSeq = opts.afterSeq ?? 0;
  let failures = 0;
  while (!opts.signal?.aborted) {
    const stream = client.automation.runs.onOutput.subscribe(
      { runId, ordinal: opts.ordinal, lastEventId: lastSeq > 0 ? String(lastSeq) : undefined },
      { signal: opts.signal },
    );
    try {
      for await (const value of stream) {
        failures = 0;
        const event = "id" in value ? value.data : value;
        if (event.type === "end") {
          yield { type: "end", state: event.state };
          return;
        }
        for (const line of event.lines) {
          if (line.seq <= lastSeq) continue; // never twice, whatever a reconnect replays
          lastSeq = line.seq;
          yield { type: "line", line };
        }
      }
      if (opts.signal?.aborted) return;
      // Ended without the run's end (the server is stopping): subscribe again, after a pause.
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]));
    } catch (e) {
      if (opts.signal?.aborted) return;
      const status = e instanceof TRPCClientError ? (e.data as { httpStatus?: number } | undefined)?.httpStatus : undefined;
      if ((status && FINAL_STATUS.has(status)) || failures >= RETRY_MS.length * 4) throw e;
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]));
    }
  }
}
