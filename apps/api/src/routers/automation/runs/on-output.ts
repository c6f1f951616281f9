import { tracked } from "@trpc/server";
import { automationRunSchemas as s, runOutputHead } from "@ops/domain";
import { runFeedsOf } from "../../../live/run-feeds";
import { can } from "../../../trpc";

/**
 * Live output over SSE (ADR 0012, "Live delivery"): batches of lines, each event tracked
 * by its last line's seq so a reconnect (Last-Event-ID) resumes exactly after it, then
 * `{type: "end"}` once the run finished and every line was sent.
 */
export const onOutput = can("runs.read")
  .input(s.onOutputInput)
  .subscription(async function ({ ctx, input, signal }) {
    await runOutputHead({ ctx, input: { runId: input.runId } }); // NotFound before the stream opens
    const feed = runFeedsOf(ctx.services).followOutput(
      { runId: input.runId, ordinal: input.ordinal, afterSeq: Number(input.lastEventId ?? 0) },
      signal,
    );
    return (async function* () {
      for await (const event of feed) {
        if ("end" in event) {
          yield { type: "end", state: event.end } satisfies s.OutputEvent;
          return;
        }
        yield tracked(String(event.lines.at(-1)!.seq), { type: "lines", lines: event.lines } satisfies s.OutputEvent);
      }
    })();
  });
