import { identitySchemas as s, inspectSetupToken } from "@ops/domain";
import { publicProcedure } from "../../../trpc";

/** Public: the holder of a setup link is not signed in yet. */
export const inspect = publicProcedure
  .input(s.setupTokenInput)
  .output(s.setupInspectResult)
  .query(({ ctx, input }) => inspectSetupToken({ ctx, input }));
