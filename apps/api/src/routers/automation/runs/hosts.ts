import { automationRunSchemas as s, listRunHosts } from "@ops/domain";
import { can } from "../../../trpc";

export const hosts = can("runs.read")
  .input(s.runHostsInput)
  .output(s.runHostPage)
  .query(({ ctx, input }) => listRunHosts({ ctx, input }));
