import { assetsConnectionTestSchemas as s, startConnectionTests } from "@ops/domain";
import { can } from "../../../trpc";

/** Also needs credentials.use: the domain verb checks it (a test signs in with the credential). */
export const start = can("targets.test")
  .input(s.startConnectionTestsInput)
  .output(s.startConnectionTestsResult)
  .mutation(({ ctx, input }) => startConnectionTests({ ctx, input }));
