import type { SubscriptionView } from "@ops/domain/schemas/communication-rules";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { DismissibleError } from "../../components/dismissible-error";
import { eventTitle } from "../../components/event-type-picker";
import { CreateButton } from "../../components/page-header";
import { QueryStates } from "../../components/query-states";
import { ProfileTabs } from "./profile-tabs";
import { SubscriptionModal } from "./subscription-modal";

/** Profile > Notifications: the user's own subscriptions ("tell me when my runs fail"). */
export function ProfileNotificationsPage() {
  const queryClient = useQueryClient();
  const list = useQuery(trpc.communication.subscriptions.list.queryOptions());
  const [editing, setEditing] = useState<SubscriptionView | "new" | null>(null);
  const [deleting, setDeleting] = useState<SubscriptionView | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.communication.subscriptions.pathFilter());
  const remove = useMutation(
    trpc.communication.subscriptions.delete.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        void refresh();
      },
    }),
  );
  return (
    <div>
      <ProfileTabs />
      <div className="d-flex justify-content-between align-items-center mb-3">
        <p className="text-body-secondary small mb-0">Events you want to hear about yourself, in the bell and optionally by email.</p>
        <CreateButton onClick={() => setEditing("new")} testId="create-subscription">
          New subscription
        </CreateButton>
      </div>
      <QueryStates query={list} isEmpty={(items) => items.length === 0} empty="You have no subscriptions.">
        {(items) => (
          <ul className="list-group" data-testid="subscriptions">
            {items.map((s) => (
              <li key={s.id} className="list-group-item d-flex flex-wrap gap-2 align-items-center" data-testid="subscription-row">
                <div className="flex-grow-1">
                  <div className="fw-medium">
                    {s.name}
                    {!s.enabled && <span className="badge text-bg-secondary ms-1">paused</span>}
                  </div>
                  <div className="small text-body-secondary">
                    {s.eventTypes.map(eventTitle).join(", ")}
                    {s.mine && " · my runs only"}
                    {s.groupIds?.length ? ` · ${s.groupIds.length} group(s)` : ""}
                    {s.minSeverity && ` · ${s.minSeverity} or worse`}
                    {s.emailChannelId && " · also by email"}
                  </div>
                </div>
                <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setEditing(s)}>
                  Edit
                </button>
                <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => setDeleting(s)}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryStates>
      {editing && (
        <SubscriptionModal subscription={editing === "new" ? undefined : editing} onClose={() => setEditing(null)} onSaved={refresh} />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete subscription"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate({ id: deleting.id })}
          onClose={() => {
            remove.reset();
            setDeleting(null);
          }}
        >
          <p>You stop hearing about these events (rules set by an admin still apply).</p>
          <DismissibleError error={remove.error ? describeError(remove.error) : null} onDismiss={() => remove.reset()} />
        </ConfirmDialog>
      )}
    </div>
  );
}
