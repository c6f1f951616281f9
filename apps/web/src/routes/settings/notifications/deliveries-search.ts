import { DELIVERY_STATUS_VALUES } from "@ops/domain/schemas/communication-deliveries";
import { z } from "zod";

export const deliveriesSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  status: z.enum(DELIVERY_STATUS_VALUES).optional().catch(undefined),
  channelId: z.uuid().optional().catch(undefined),
  ruleId: z.uuid().optional().catch(undefined),
});
export type DeliveriesSearch = z.infer<typeof deliveriesSearch>;
export const DELIVERIES_PAGE_SIZE = 50;

export function deliveriesListInput(s: DeliveriesSearch) {
  return { page: s.page, pageSize: DELIVERIES_PAGE_SIZE, status: s.status, channelId: s.channelId, ruleId: s.ruleId };
}
