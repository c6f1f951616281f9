import { identitySchemas as s, listUsers, pageOf } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("users.read")
  .input(s.listUsersInput)
  .output(pageOf(s.userView))
  .query(({ ctx, input }) => listUsers({ ctx, input }));
