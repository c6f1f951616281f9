import type { notifications } from "@ops/db";
import type { NotificationView } from "../../schemas/communication-deliveries";

type NotificationRow = typeof notifications.$inferSelect;

export function toNotificationView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    eventType: row.eventType,
    severity: row.severity,
    title: row.title,
    body: row.body,
    link: row.link,
    read: row.readAt !== null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * A bell stream's position: the last notification's creation time and id
 * (`2026-01-31T09:00:00.000Z_<uuid>`), sent as the SSE event id so a reconnect resumes.
 */
export type NotificationCursor = { at: Date; id: string };

export function formatNotificationCursor(row: { createdAt: Date; id: string }): string {
  return `${row.createdAt.toISOString()}_${row.id}`;
}

/** Null for anything that is not a cursor this module wrote (an old or forged Last-Event-ID). */
export function parseNotificationCursor(text: string | undefined | null): NotificationCursor | null {
  const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)_([0-9a-f-]{36})$/i.exec(text ?? "");
  if (!m) return null;
  const at = new Date(m[1]!);
  return Number.isNaN(at.getTime()) ? null : { at, id: m[2]!.toLowerCase() };
}
