import type { NotificationView } from "@ops/domain/schemas/communication-deliveries";
import { relativeTime } from "../app/relative-time";
import { SEVERITY_TONE } from "./severity-badge";

/** One notification: a severity stripe, title, body and age; unread ones in bold. */
export function NotificationItem({ notification: n, now }: { notification: NotificationView; now: number }) {
  return (
    <div
      className={`border-start border-4 border-${SEVERITY_TONE[n.severity] ?? "secondary"} ps-2`}
      data-testid="notification"
      data-read={n.read}
      data-severity={n.severity}
    >
      <div className="d-flex justify-content-between gap-2">
        <span className={n.read ? "" : "fw-semibold"} data-testid="notification-title">
          {n.title}
        </span>
        <time className="small text-body-secondary text-nowrap" dateTime={n.createdAt} title={n.createdAt}>
          {relativeTime(n.createdAt, now)}
        </time>
      </div>
      {n.body && (
        <div className="small text-body-secondary text-break" style={{ whiteSpace: "pre-line" }} data-testid="notification-body">
          {n.body}
        </div>
      )}
    </div>
  );
}
