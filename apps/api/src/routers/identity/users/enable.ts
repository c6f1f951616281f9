import { enableUser, identitySchemas as s } from "@ops/domain";
import { can } from "../../../trpc";

export const enable = can("users.manage")
  .input(s.userIdInput)
  .output(s.userView)
  .mutation(({ ctx, input }) => enableUser({ ctx, input }));
