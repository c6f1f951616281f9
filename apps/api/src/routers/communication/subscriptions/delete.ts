import { z } from "zod";
import { deleteSubscription, uuid } from "@ops/domain";
import { can } from "../../../trpc";

export const del = can("notifications.read")
  .input(z.object({ id: uuid }))
  .output(z.object({ id: z.string() }))
  .mutation(({ ctx, input }) => deleteSubscription({ ctx, input }));
