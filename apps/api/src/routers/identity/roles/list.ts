import { identitySchemas as s, listRoles } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("roles.read")
  .output(s.roleList)
  .query(({ ctx }) => listRoles({ ctx, input: undefined }));
