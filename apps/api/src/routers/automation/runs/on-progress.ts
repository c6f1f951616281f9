import { automationRunSchemas as s, getRun } from "@ops/domain";
import { runFeedsOf } from "../../../live/run-feeds";
import { can } from "../../../trpc";

/** Live progress over SSE: a snapshot now (every host), then the changes, until the run finished. */
export const onProgress = can("runs.read")
  .input(s.onProgressInput)
  .subscription(async function ({ ctx, input, signal }) {
    await getRun({ ctx, input }); // NotFound before the stream opens
    return runFeedsOf(ctx.services).followProgress(input, signal);
  });
