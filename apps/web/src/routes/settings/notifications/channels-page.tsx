import type { ChannelView, EmailChannelConfig, WebhookChannelConfig } from "@ops/domain/schemas/communication-channels";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { allows } from "../../../app/access";
import { describeError } from "../../../app/errors";
import { fetchFresh } from "../../../app/fetch-fresh";
import { relativeTime } from "../../../app/relative-time";
import { trpc } from "../../../app/trpc";
import { useMe } from "../../../app/use-me";
import { useNow } from "../../../app/use-now";
import { ConfirmDialog } from "../../../components/confirm-dialog";
import { DismissibleError } from "../../../components/dismissible-error";
import { FreshEdit } from "../../../components/fresh-edit";
import { Modal } from "../../../components/modal";
import { CreateButton } from "../../../components/page-header";
import { QueryTable } from "../../../components/query-table";
import { SettingsTabs } from "../settings-tabs";
import { ChannelModal } from "./channel-modal";
import { ChannelTest } from "./channel-test";
import { CHANNELS_LIST_INPUT } from "./notification-lists";
import { DeliveryStatusBadge } from "./delivery-status-badge";

function destination(c: ChannelView): string {
  if (c.kind === "email") {
    const e = c.config as EmailChannelConfig;
    return `${e.host}:${e.port} from ${e.from}`;
  }
  const w = c.config as WebhookChannelConfig;
  return `${w.method} ${w.url}`;
}

/** Settings > Notifications > Channels: where messages go, and how the last one went. */
export function ChannelsPage() {
  const me = useMe();
  const canManage = allows(me, "notifications.manage");
  const queryClient = useQueryClient();
  const now = useNow();
  const list = useQuery(trpc.communication.channels.list.queryOptions(CHANNELS_LIST_INPUT));
  const [editing, setEditing] = useState<ChannelView | "new" | null>(null);
  const [testing, setTesting] = useState<ChannelView | null>(null);
  const [deleting, setDeleting] = useState<ChannelView | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.communication.pathFilter());
  const remove = useMutation(
    trpc.communication.channels.delete.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        void refresh();
      },
    }),
  );

  return (
    <div>
      <SettingsTabs section="notifications" />
      <div className="d-flex justify-content-between align-items-center mb-2">
        <p className="text-body-secondary small mb-0">Email servers and webhook receivers that rules send to.</p>
        {canManage && (
          <CreateButton onClick={() => setEditing("new")} testId="create-channel">
            New channel
          </CreateButton>
        )}
      </div>
      <QueryTable
        query={list}
        empty="No channels yet."
        testId="channels-table"
        head={
          <>
            <th>Name</th>
            <th className="d-none d-md-table-cell">Sends to</th>
            <th className="d-none d-sm-table-cell">Rules</th>
            <th>Last delivery</th>
            {canManage && <th className="text-end">Actions</th>}
          </>
        }
        row={(c) => (
          <tr key={c.id} data-testid="channel-row">
            <td>
              <div className="fw-medium">{c.name}</div>
              <div className="small text-body-secondary">
                {c.kind === "email" ? "Email" : "Webhook"}
                {!c.enabled && <span className="badge text-bg-secondary ms-1">disabled</span>}
              </div>
            </td>
            <td className="d-none d-md-table-cell small text-break">{destination(c)}</td>
            <td className="d-none d-sm-table-cell small">{c.ruleCount}</td>
            <td className="small">
              {c.lastDelivery ? (
                <>
                  <DeliveryStatusBadge status={c.lastDelivery.status} />{" "}
                  <span className="text-body-secondary">{relativeTime(c.lastDelivery.at, now)}</span>
                </>
              ) : (
                <span className="text-body-secondary">none yet</span>
              )}
            </td>
            {canManage && (
              <td className="text-end text-nowrap">
                <button type="button" className="btn btn-sm btn-outline-secondary me-1" onClick={() => setTesting(c)}>
                  Test
                </button>
                <button type="button" className="btn btn-sm btn-outline-secondary me-1" onClick={() => setEditing(c)}>
                  Edit
                </button>
                <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => setDeleting(c)}>
                  Delete
                </button>
              </td>
            )}
          </tr>
        )}
        onPage={() => undefined}
      />
      {editing === "new" && <ChannelModal onClose={() => setEditing(null)} onSaved={refresh} />}
      {editing && editing !== "new" && (
        <FreshEdit
          title={`Edit ${editing.name}`}
          size="lg"
          load={() => fetchFresh(queryClient, trpc.communication.channels.get.queryOptions({ id: editing.id }))}
          onClose={() => setEditing(null)}
        >
          {(fresh) => <ChannelModal channel={fresh} onClose={() => setEditing(null)} onSaved={refresh} />}
        </FreshEdit>
      )}
      {testing && (
        <Modal title={`Test ${testing.name}`} onClose={() => setTesting(null)}>
          <p className="small text-body-secondary">{destination(testing)}</p>
          <ChannelTest channelId={testing.id} kind={testing.kind} />
        </Modal>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete channel"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate({ id: deleting.id })}
          onClose={() => {
            remove.reset();
            setDeleting(null);
          }}
        >
          <p>{deleting.ruleCount > 0 ? `${deleting.ruleCount} rule(s) send to this channel.` : "No rule sends to this channel."}</p>
          <DismissibleError error={remove.error ? describeError(remove.error) : null} onDismiss={() => remove.reset()} />
        </ConfirmDialog>
      )}
    </div>
  );
}
