import { assetsTargetSchemas as s, createTarget } from "@ops/domain";
import { can } from "../../../trpc";

/** Setting a credential also needs credentials.use, an expected fingerprint hostkeys.accept: the domain verb checks them. */
export const create = can("targets.manage")
  .input(s.createTargetInput)
  .output(s.createTargetResult)
  .mutation(({ ctx, input }) => createTarget({ ctx, input }));
