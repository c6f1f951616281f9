import type { RoleView } from "@ops/domain/schemas/identity";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { fetchFresh } from "../../app/fetch-fresh";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { FreshEdit } from "../../components/fresh-edit";
import { CreateButton, PageHeader } from "../../components/page-header";
import { QueryStates } from "../../components/query-states";
import { RoleModal } from "./role-modal";

export function RolesPage() {
  const me = useMe();
  const canManage = allows(me, "roles.manage");
  const queryClient = useQueryClient();
  const roles = useQuery(trpc.identity.roles.list.queryOptions());
  const [editing, setEditing] = useState<RoleView | "new" | null>(null);
  const [deleting, setDeleting] = useState<RoleView | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Users show their roles; roles count their users.
  const refresh = () => queryClient.invalidateQueries(trpc.identity.pathFilter());
  const remove = useMutation(
    trpc.identity.roles.delete.mutationOptions({
      onSuccess: () => (setDeleting(null), refresh()),
      onError: (e) => (setDeleting(null), setError(describeError(e))),
    }),
  );

  return (
    <div>
      <PageHeader title="Roles">{canManage && <CreateButton onClick={() => setEditing("new")}>New role</CreateButton>}</PageHeader>
      {error && <div className="alert alert-danger">{error}</div>}
      <QueryStates query={roles} isEmpty={(data) => data.length === 0} empty="No roles yet.">
        {(data) => (
          <div className="table-responsive">
            <table className="table table-hover align-middle">
              <thead>
                <tr>
                  <th>Role</th>
                  <th>Permissions</th>
                  <th>Users</th>
                  <th>MFA</th>
                  <th className="text-end">Actions</th>
                </tr>
              </thead>
              <tbody>
                {(data as RoleView[]).map((r) => (
                  <tr key={r.id}>
                    <td>
                      <div className="fw-medium">
                        {r.name} {r.builtin && <span className="badge text-bg-light border ms-1">built-in</span>}
                      </div>
                      <div className="small text-body-secondary">{r.description}</div>
                    </td>
                    <td>{r.permissions.length}</td>
                    <td>{r.userCount}</td>
                    <td>
                      {r.requireMfa ? (
                        <span className="badge text-bg-info">required</span>
                      ) : (
                        <span className="text-body-secondary small">optional</span>
                      )}
                    </td>
                    <td className="text-end text-nowrap">
                      <button type="button" className="btn btn-sm btn-outline-secondary me-1" onClick={() => setEditing(r)}>
                        {canManage ? "Edit" : "View"}
                      </button>
                      {canManage && !r.builtin && (
                        <button
                          type="button"
                          className="btn btn-sm btn-outline-danger"
                          disabled={remove.isPending}
                          onClick={() => setDeleting(r)}
                        >
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryStates>
      {editing === "new" && <RoleModal role={null} readOnly={false} onClose={() => setEditing(null)} onSaved={refresh} />}
      {editing && editing !== "new" && (
        <FreshEdit
          title={`Role ${editing.name}`}
          size="lg"
          load={() => fetchFresh(queryClient, trpc.identity.roles.get.queryOptions({ id: editing.id }))}
          onClose={() => setEditing(null)}
        >
          {(fresh, reload) => (
            <RoleModal role={fresh} readOnly={!canManage} onReload={reload} onClose={() => setEditing(null)} onSaved={refresh} />
          )}
        </FreshEdit>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete role"
          confirmLabel="Delete role"
          danger
          busy={remove.isPending}
          onClose={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ id: deleting.id })}
        >
          <p className="mb-0">
            Delete the role <strong>{deleting.name}</strong>? {deleting.userCount} user{deleting.userCount === 1 ? "" : "s"} lose its
            permissions.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
