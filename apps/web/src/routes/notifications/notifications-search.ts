import { z } from "zod";

export const notificationsSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  unread: z.boolean().optional().catch(undefined),
});
export type NotificationsSearch = z.infer<typeof notificationsSearch>;
export const NOTIFICATIONS_PAGE_SIZE = 25;

export function notificationsListInput(s: NotificationsSearch) {
  return { page: s.page, pageSize: NOTIFICATIONS_PAGE_SIZE, unreadOnly: s.unread ?? false };
}
