import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, useNavigate, useRouter } from "@tanstack/react-router";
import { CheckCheck } from "lucide-react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { useNow } from "../../app/use-now";
import { DismissibleError } from "../../components/dismissible-error";
import { NotificationItem } from "../../components/notification-item";
import { PageHeader } from "../../components/page-header";
import { Pager } from "../../components/pager";
import { QueryStates } from "../../components/query-states";
import { notificationsListInput, NOTIFICATIONS_PAGE_SIZE } from "./notifications-search";

const route = getRouteApi("/app/notifications");

/** Every notification of the signed-in user, newest first; the bell's live subscription keeps it fresh. */
export function NotificationsPage() {
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/notifications" });
  const router = useRouter();
  const queryClient = useQueryClient();
  const fmt = useFormatDate();
  const now = useNow();
  const list = useQuery({
    ...trpc.communication.notifications.list.queryOptions(notificationsListInput(search)),
    placeholderData: keepPreviousData,
  });
  const markRead = useMutation(
    trpc.communication.notifications.markRead.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.communication.notifications.pathFilter()),
    }),
  );
  const unread = list.data?.unread ?? 0;
  return (
    <div>
      <PageHeader title="Notifications">
        <button
          type="button"
          className="btn btn-outline-secondary d-flex align-items-center gap-1"
          disabled={unread === 0 || markRead.isPending}
          onClick={() => markRead.mutate({ all: true })}
          data-testid="page-mark-all-read"
        >
          <CheckCheck size={18} /> Mark all read
        </button>
      </PageHeader>
      <div className="btn-group btn-group-sm mb-3" role="group" aria-label="Show">
        <button
          type="button"
          className={`btn ${search.unread ? "btn-outline-primary" : "btn-primary"}`}
          aria-pressed={!search.unread}
          onClick={() => navigate({ search: { page: 1 } })}
        >
          All
        </button>
        <button
          type="button"
          className={`btn ${search.unread ? "btn-primary" : "btn-outline-primary"}`}
          aria-pressed={!!search.unread}
          onClick={() => navigate({ search: { page: 1, unread: true } })}
          data-testid="filter-unread"
        >
          Unread{unread > 0 ? ` (${unread})` : ""}
        </button>
      </div>
      <DismissibleError error={markRead.error ? describeError(markRead.error) : null} onDismiss={() => markRead.reset()} />
      <QueryStates
        query={list}
        isEmpty={(d) => d.items.length === 0}
        empty={search.unread ? "Nothing unread." : "No notifications yet. Rules with in-app on, and your subscriptions, send them here."}
      >
        {(data) => (
          <>
            <ul className="list-group" data-testid="notifications-list">
              {data.items.map((n) => (
                <li key={n.id} className={`list-group-item d-flex gap-3 align-items-start ${n.read ? "" : "bg-body-tertiary"}`}>
                  <div className="flex-grow-1 min-w-0">
                    <NotificationItem notification={n} now={now} />
                    <div className="small text-body-secondary mt-1">
                      {fmt.dateTime(n.createdAt)} · <code>{n.eventType}</code>
                      {n.link && (
                        <>
                          {" · "}
                          <a
                            href={n.link}
                            onClick={(e) => {
                              e.preventDefault();
                              if (!n.read) markRead.mutate({ ids: [n.id] });
                              router.history.push(n.link!);
                            }}
                            data-testid="notification-link"
                          >
                            Open
                          </a>
                        </>
                      )}
                    </div>
                  </div>
                  {!n.read && (
                    <button
                      type="button"
                      className="btn btn-sm btn-outline-secondary text-nowrap"
                      onClick={() => markRead.mutate({ ids: [n.id] })}
                      data-testid="mark-read"
                    >
                      Mark read
                    </button>
                  )}
                </li>
              ))}
            </ul>
            <Pager
              page={search.page}
              pageSize={NOTIFICATIONS_PAGE_SIZE}
              total={data.total}
              onPage={(page) => navigate({ search: (s) => ({ ...s, page }) })}
            />
          </>
        )}
      </QueryStates>
    </div>
  );
}
