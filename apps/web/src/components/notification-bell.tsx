import type { NotificationView } from "@ops/domain/schemas/communication-deliveries";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useRouter } from "@tanstack/react-router";
import { Bell } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { trpc, trpcClient } from "../app/trpc";
import { useNow } from "../app/use-now";
import { NotificationItem } from "./notification-item";

export const BELL_PAGE_SIZE = 8;

/**
 * The header bell: the unread count and the latest notifications. New ones arrive over
 * `communication.notifications.onNotification` (SSE), which refreshes the list: no polling.
 */
export function NotificationBell() {
  const queryClient = useQueryClient();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);
  const now = useNow();
  const latest = useQuery(trpc.communication.notifications.list.queryOptions({ page: 1, pageSize: BELL_PAGE_SIZE }));
  const refresh = () => queryClient.invalidateQueries(trpc.communication.notifications.pathFilter());

  useEffect(() => {
    const subscription = trpcClient.communication.notifications.onNotification.subscribe(undefined, {
      onData: () => void refresh(),
      // Reconnected after a gap: whatever arrived meanwhile is in the list.
      onStarted: () => void refresh(),
    });
    return () => subscription.unsubscribe();
  }, []);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => menuRef.current?.contains(e.target as Node) || setOpen(false);
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  const markRead = useMutation(trpc.communication.notifications.markRead.mutationOptions({ onSettled: refresh }));
  const openOne = (n: NotificationView) => {
    setOpen(false);
    if (!n.read) markRead.mutate({ ids: [n.id] });
    // The link is the dashboard path of the event's object (`/runs/<id>`), made by the server.
    router.history.push(n.link ?? "/notifications");
  };

  const unread = latest.data?.unread ?? 0;
  const items = latest.data?.items ?? [];
  return (
    <div className="dropdown" ref={menuRef}>
      <button
        type="button"
        className="btn btn-outline-light btn-sm position-relative"
        aria-expanded={open}
        aria-label={unread ? `Notifications, ${unread} unread` : "Notifications"}
        onClick={() => setOpen((o) => !o)}
        data-testid="bell"
      >
        <Bell size={16} aria-hidden="true" />
        {unread > 0 && (
          <span className="position-absolute top-0 start-100 translate-middle badge rounded-pill bg-danger" data-testid="bell-count">
            {unread > 99 ? "99+" : unread}
          </span>
        )}
      </button>
      {open && (
        <div
          className="dropdown-menu dropdown-menu-end show p-0 shadow"
          style={{ right: 0, width: 360, maxWidth: "90vw" }}
          data-testid="bell-menu"
        >
          <div className="d-flex align-items-center justify-content-between px-3 py-2 border-bottom">
            <span className="fw-semibold">Notifications</span>
            <button
              type="button"
              className="btn btn-link btn-sm p-0"
              disabled={unread === 0 || markRead.isPending}
              onClick={() => markRead.mutate({ all: true })}
              data-testid="mark-all-read"
            >
              Mark all read
            </button>
          </div>
          <div style={{ maxHeight: 400, overflowY: "auto" }}>
            {latest.isError && <div className="px-3 py-3 small text-danger">Could not load notifications.</div>}
            {!latest.isError && items.length === 0 && (
              <div className="px-3 py-4 small text-body-secondary text-center">{latest.isPending ? "Loading…" : "No notifications."}</div>
            )}
            {items.map((n) => (
              <button
                type="button"
                key={n.id}
                className={`dropdown-item py-2 text-wrap ${n.read ? "" : "bg-body-tertiary"}`}
                onClick={() => openOne(n)}
                data-testid="bell-item"
              >
                <NotificationItem notification={n} now={now} />
              </button>
            ))}
          </div>
          <div className="border-top px-3 py-2 text-center">
            <Link to="/notifications" className="small" onClick={() => setOpen(false)} data-testid="bell-see-all">
              See all notifications
            </Link>
          </div>
        </div>
      )}
    </div>
  );
}
