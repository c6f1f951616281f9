import { z } from "zod";
import { deleteRule, uuid } from "@ops/domain";
import { can } from "../../../trpc";

export const del = can("notifications.manage")
  .input(z.object({ id: uuid }))
  .output(z.object({ id: z.string() }))
  .mutation(({ ctx, input }) => deleteRule({ ctx, input }));
