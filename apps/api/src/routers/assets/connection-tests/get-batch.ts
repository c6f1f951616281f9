import { assetsConnectionTestSchemas as s, getConnectionTestBatch } from "@ops/domain";
import { can } from "../../../trpc";

/** Polled by the dashboard while a batch runs. */
export const getBatch = can("targets.read")
  .input(s.connectionTestBatchInput)
  .output(s.connectionTestBatchView)
  .query(({ ctx, input }) => getConnectionTestBatch({ ctx, input }));
