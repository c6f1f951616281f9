import type { RoleView } from "@ops/domain/schemas/identity";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { CreateButton, PageHeader } from "../../components/page-header";
import { QueryStates } from "../../components/query-states";
import { RoleModal } from "./role-modal";

export function RolesPage() {
  const me = useMe();
  const canManage = allows(me, "roles.manage");
  const queryClient = useQueryClient();
  const roles = useQuery(trpc.identity.roles.list.queryOptions());
  const [editing, setEditing] = useState<RoleView | "new" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.identity.roles.pathFilter());
  const remove = useMutation(
    trpc.identity.roles.delete.mutationOptions({ onSuccess: refresh, onError: (e) => setError(describeError(e)) }),
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
                          onClick={() =>
                            confirm(`Delete the role "${r.name}"? ${r.userCount} user(s) lose its permissions.`) &&
                            remove.mutate({ id: r.id })
                          }
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
      {editing && (
        <RoleModal role={editing === "new" ? null : editing} readOnly={!canManage} onClose={() => setEditing(null)} onSaved={refresh} />
      )}
    </div>
  );
}
