import { z } from "zod";
import { communicationDeliverySchemas as s, markNotificationsRead } from "@ops/domain";
import { authedProcedure } from "../../../trpc";

export const markRead = authedProcedure
  .input(s.markReadInput)
  .output(z.object({ marked: z.number().int(), unread: z.number().int() }))
  .mutation(({ ctx, input }) => markNotificationsRead({ ctx, input }));
