import type { RoleView } from "@ops/domain/schemas/identity";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useState } from "react";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { Empty, LoadError, Loading } from "../../components/states";
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
      <div className="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-3">
        <h1 className="h3 mb-0">Roles</h1>
        {canManage && (
          <button type="button" className="btn btn-primary d-flex align-items-center gap-1" onClick={() => setEditing("new")}>
            <Plus size={18} /> New role
          </button>
        )}
      </div>
      {error && <div className="alert alert-danger">{error}</div>}
      {roles.isPending ? (
        <Loading />
      ) : roles.isError ? (
        <LoadError error={roles.error} />
      ) : roles.data.length === 0 ? (
        <Empty>No roles yet.</Empty>
      ) : (
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
              {(roles.data as RoleView[]).map((r) => (
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
      {editing && (
        <RoleModal role={editing === "new" ? null : editing} readOnly={!canManage} onClose={() => setEditing(null)} onSaved={refresh} />
      )}
    </div>
  );
}
