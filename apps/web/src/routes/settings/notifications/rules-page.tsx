import type { RuleView } from "@ops/domain/schemas/communication-rules";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { allows } from "../../../app/access";
import { describeError } from "../../../app/errors";
import { fetchFresh } from "../../../app/fetch-fresh";
import { trpc } from "../../../app/trpc";
import { useMe } from "../../../app/use-me";
import { ConfirmDialog } from "../../../components/confirm-dialog";
import { DismissibleError } from "../../../components/dismissible-error";
import { eventTitle } from "../../../components/event-type-picker";
import { FreshEdit } from "../../../components/fresh-edit";
import { CreateButton } from "../../../components/page-header";
import { QueryTable } from "../../../components/query-table";
import { SettingsTabs } from "../settings-tabs";
import { RULES_LIST_INPUT } from "./notification-lists";
import { RuleModal } from "./rule-modal";

function filterSummary(r: RuleView): string {
  const f = r.filters;
  const parts = [
    f.minSeverity && `severity ≥ ${f.minSeverity}`,
    f.jobIds?.length && `${f.jobIds.length} job(s)`,
    f.groupIds?.length && `${f.groupIds.length} group(s)`,
    f.labels && `labels ${f.labels}`,
    f.startedBy?.length && `started by ${f.startedBy.length} user(s)`,
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "no filters";
}

/** Settings > Notifications > Rules: which events go where. */
export function RulesPage() {
  const me = useMe();
  const canManage = allows(me, "notifications.manage");
  const queryClient = useQueryClient();
  const list = useQuery(trpc.communication.rules.list.queryOptions(RULES_LIST_INPUT));
  const [editing, setEditing] = useState<RuleView | "new" | null>(null);
  const [deleting, setDeleting] = useState<RuleView | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.communication.pathFilter());
  const remove = useMutation(
    trpc.communication.rules.delete.mutationOptions({
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
        <p className="text-body-secondary small mb-0">Events matching a rule are sent to its channel and/or the in-app bell.</p>
        {canManage && (
          <CreateButton onClick={() => setEditing("new")} testId="create-rule">
            New rule
          </CreateButton>
        )}
      </div>
      <QueryTable
        query={list}
        empty="No rules yet."
        testId="rules-table"
        head={
          <>
            <th>Name</th>
            <th className="d-none d-md-table-cell">When</th>
            <th>Sends to</th>
            <th className="d-none d-lg-table-cell">24 h</th>
            {canManage && <th className="text-end">Actions</th>}
          </>
        }
        row={(r) => (
          <tr key={r.id} data-testid="rule-row">
            <td>
              <div className="fw-medium">{r.name}</div>
              <div className="small text-body-secondary">
                {filterSummary(r)}
                {!r.enabled && <span className="badge text-bg-secondary ms-1">disabled</span>}
                {r.throttle && (
                  <span className="ms-1">
                    · at most {r.throttle.max} per {r.throttle.windowSeconds} s
                  </span>
                )}
              </div>
            </td>
            <td className="d-none d-md-table-cell small">
              {r.eventTypes.slice(0, 3).map(eventTitle).join(", ")}
              {r.eventTypes.length > 3 && ` and ${r.eventTypes.length - 3} more`}
            </td>
            <td className="small">
              {r.channel ? `${r.channel.name} (${r.channel.kind})` : null}
              {r.channel && r.inApp ? " + " : null}
              {r.inApp ? "in-app" : null}
              {r.channel && <div className="text-body-secondary">{r.template ? r.template.name : "default template"}</div>}
            </td>
            <td className="d-none d-lg-table-cell small">{r.deliveries24h}</td>
            {canManage && (
              <td className="text-end text-nowrap">
                <button type="button" className="btn btn-sm btn-outline-secondary me-1" onClick={() => setEditing(r)}>
                  Edit
                </button>
                <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => setDeleting(r)}>
                  Delete
                </button>
              </td>
            )}
          </tr>
        )}
        onPage={() => undefined}
      />
      {editing === "new" && <RuleModal onClose={() => setEditing(null)} onSaved={refresh} />}
      {editing && editing !== "new" && (
        <FreshEdit
          title={`Edit ${editing.name}`}
          size="lg"
          load={() => fetchFresh(queryClient, trpc.communication.rules.get.queryOptions({ id: editing.id }))}
          onClose={() => setEditing(null)}
        >
          {(fresh) => <RuleModal rule={fresh} onClose={() => setEditing(null)} onSaved={refresh} />}
        </FreshEdit>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete rule"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate({ id: deleting.id })}
          onClose={() => {
            remove.reset();
            setDeleting(null);
          }}
        >
          <p>Events stop going to {deleting.channel?.name ?? "the bell"} through this rule.</p>
          <DismissibleError error={remove.error ? describeError(remove.error) : null} onDismiss={() => remove.reset()} />
        </ConfirmDialog>
      )}
    </div>
  );
}
