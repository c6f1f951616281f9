import { z } from "zod";
import { deleteRole, identitySchemas as s } from "@ops/domain";
import { can } from "../../../trpc";

export const remove = can("roles.manage")
  .input(s.roleIdInput)
  .output(z.object({ ok: z.literal(true) }))
  .mutation(({ ctx, input }) => deleteRole({ ctx, input }));
