import { z } from "zod";
import { communicationTemplateSchemas as s, getTemplate, uuid } from "@ops/domain";
import { can } from "../../../trpc";

export const get = can("notifications.read")
  .input(z.object({ id: uuid }))
  .output(s.templateView)
  .query(({ ctx, input }) => getTemplate({ ctx, input }));
