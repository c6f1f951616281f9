import { getUser, identitySchemas as s } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("users.read")
  .input(s.userIdInput)
  .output(s.userView)
  .query(({ ctx, input }) => getUser({ ctx, input }));
