import type { TemplateView } from "@ops/domain/schemas/communication-templates";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { allows } from "../../../app/access";
import { describeError } from "../../../app/errors";
import { trpc } from "../../../app/trpc";
import { useFormatDate } from "../../../app/use-format-date";
import { useMe } from "../../../app/use-me";
import { ConfirmDialog } from "../../../components/confirm-dialog";
import { DismissibleError } from "../../../components/dismissible-error";
import { eventTitle } from "../../../components/event-type-picker";
import { CreateButton } from "../../../components/page-header";
import { QueryTable } from "../../../components/query-table";
import { SettingsTabs } from "../settings-tabs";
import { TEMPLATES_LIST_INPUT } from "./notification-lists";

/** Settings > Notifications > Templates: message bodies that rules may use instead of the defaults. */
export function TemplatesPage() {
  const me = useMe();
  const canManage = allows(me, "notifications.manage");
  const fmt = useFormatDate();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.communication.templates.list.queryOptions(TEMPLATES_LIST_INPUT));
  const [deleting, setDeleting] = useState<TemplateView | null>(null);
  const remove = useMutation(
    trpc.communication.templates.delete.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        void queryClient.invalidateQueries(trpc.communication.pathFilter());
      },
    }),
  );
  return (
    <div>
      <SettingsTabs section="notifications" />
      <div className="d-flex justify-content-between align-items-center mb-2">
        <p className="text-body-secondary small mb-0">A rule without a template sends the built-in default of each event type.</p>
        {canManage && (
          <CreateButton onClick={() => navigate({ to: "/settings/notifications/templates/new" })} testId="create-template">
            New template
          </CreateButton>
        )}
      </div>
      <QueryTable
        query={list}
        empty="No templates yet."
        testId="templates-table"
        head={
          <>
            <th>Name</th>
            <th className="d-none d-md-table-cell">Previewed with</th>
            <th className="d-none d-sm-table-cell">Rules</th>
            <th className="d-none d-lg-table-cell">Updated</th>
            {canManage && <th className="text-end">Actions</th>}
          </>
        }
        row={(t) => (
          <tr key={t.id} data-testid="template-row">
            <td>
              <Link to="/settings/notifications/templates/$templateId" params={{ templateId: t.id }} className="fw-medium">
                {t.name}
              </Link>
              <div className="small text-body-secondary">{t.kind === "email" ? "Email" : "Webhook"}</div>
            </td>
            <td className="d-none d-md-table-cell small">{eventTitle(t.sampleEventType)}</td>
            <td className="d-none d-sm-table-cell small">{t.ruleCount}</td>
            <td className="d-none d-lg-table-cell small text-nowrap">{fmt.dateTime(t.updatedAt)}</td>
            {canManage && (
              <td className="text-end">
                <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => setDeleting(t)}>
                  Delete
                </button>
              </td>
            )}
          </tr>
        )}
        onPage={() => undefined}
      />
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete template"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate({ id: deleting.id })}
          onClose={() => {
            remove.reset();
            setDeleting(null);
          }}
        >
          <p>{deleting.ruleCount > 0 ? `${deleting.ruleCount} rule(s) use it.` : "No rule uses it."}</p>
          <DismissibleError error={remove.error ? describeError(remove.error) : null} onDismiss={() => remove.reset()} />
        </ConfirmDialog>
      )}
    </div>
  );
}
