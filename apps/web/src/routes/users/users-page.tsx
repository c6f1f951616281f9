import type { UserView } from "@ops/domain/schemas/identity";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { fetchFresh } from "../../app/fetch-fresh";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useDebouncedSearch } from "../../app/use-debounced-search";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { DismissibleError } from "../../components/dismissible-error";
import { FreshEdit } from "../../components/fresh-edit";
import { CreateButton, PageHeader } from "../../components/page-header";
import { QueryTable } from "../../components/query-table";
import { SearchBox } from "../../components/search-box";
import { CreateUserModal } from "./create-user-modal";
import { EditRolesModal } from "./edit-roles-modal";
import { usersListInput } from "./users-search";

const route = getRouteApi("/app/users");

export function UsersPage() {
  const fmt = useFormatDate();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/users" });
  const me = useMe();
  const canManage = allows(me, "users.manage");
  const queryClient = useQueryClient();
  const [searchText, setSearchText] = useDebouncedSearch(search.search, (text) =>
    navigate({ search: (s) => ({ ...s, search: text, page: 1 }) }),
  );
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<UserView | null>(null);
  const [disabling, setDisabling] = useState<UserView | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const list = useQuery({ ...trpc.identity.users.list.queryOptions(usersListInput(search)), placeholderData: keepPreviousData });
  // Roles count their users.
  const refresh = () => queryClient.invalidateQueries(trpc.identity.pathFilter());
  const onError = (e: unknown) => setActionError(describeError(e));
  const disable = useMutation(
    trpc.identity.users.disable.mutationOptions({
      onSuccess: () => (setDisabling(null), refresh()),
      onError: (e) => (setDisabling(null), onError(e)),
    }),
  );
  const enable = useMutation(trpc.identity.users.enable.mutationOptions({ onSuccess: refresh, onError }));

  return (
    <div>
      <PageHeader title="Users">
        {canManage && (
          <CreateButton onClick={() => setCreating(true)} testId="create-user">
            New user
          </CreateButton>
        )}
      </PageHeader>
      <div className="row g-2 mb-3">
        <div className="col-12 col-sm-8 col-md-6">
          <SearchBox value={searchText} onChange={setSearchText} placeholder="Search email or name" label="Search users" />
        </div>
        <div className="col-12 col-sm-4 col-md-3">
          <select
            className="form-select"
            aria-label="Status"
            value={search.status}
            onChange={(e) => navigate({ search: (s) => ({ ...s, status: e.target.value as typeof search.status, page: 1 }) })}
          >
            <option value="all">All users</option>
            <option value="active">Active</option>
            <option value="disabled">Disabled</option>
          </select>
        </div>
      </div>
      <DismissibleError error={actionError} onDismiss={() => setActionError(null)} />
      <QueryTable
        query={list}
        empty="No users match."
        testId="users-table"
        head={
          <>
            <th>User</th>
            <th>Roles</th>
            <th>Status</th>
            <th className="d-none d-md-table-cell">Created</th>
            {canManage && <th className="text-end">Actions</th>}
          </>
        }
        row={(u) => (
          <tr key={u.id}>
            <td>
              <div className="fw-medium">{u.displayName || u.email}</div>
              <div className="small text-body-secondary">{u.email}</div>
            </td>
            <td>
              {u.roles.length === 0 && <span className="text-body-secondary small">none</span>}
              {u.roles.map((r) => (
                <span key={r.id} className="badge text-bg-secondary me-1">
                  {r.name}
                </span>
              ))}
            </td>
            <td>
              {u.disabled ? (
                <span className="badge text-bg-danger">Disabled</span>
              ) : u.pendingSetup ? (
                <span className="badge text-bg-warning">Setup pending</span>
              ) : (
                <span className="badge text-bg-success">Active</span>
              )}
              {u.mfaEnabled && <span className="badge text-bg-info ms-1">MFA</span>}
            </td>
            <td className="d-none d-md-table-cell small">{fmt.date(u.createdAt)}</td>
            {canManage && (
              <td className="text-end text-nowrap">
                <button type="button" className="btn btn-sm btn-outline-secondary me-1" onClick={() => setEditing(u)}>
                  Roles
                </button>
                {u.disabled ? (
                  <button
                    type="button"
                    className="btn btn-sm btn-outline-success"
                    disabled={enable.isPending}
                    onClick={() => enable.mutate({ id: u.id })}
                  >
                    Enable
                  </button>
                ) : (
                  <button
                    type="button"
                    className="btn btn-sm btn-outline-danger"
                    disabled={disable.isPending || u.id === me.id}
                    title={u.id === me.id ? "You cannot disable yourself" : undefined}
                    onClick={() => setDisabling(u)}
                  >
                    Disable
                  </button>
                )}
              </td>
            )}
          </tr>
        )}
        onPage={(page) => navigate({ search: (s) => ({ ...s, page }) })}
      />
      {creating && <CreateUserModal onClose={() => setCreating(false)} onCreated={refresh} />}
      {editing && (
        <FreshEdit
          title={`Roles of ${editing.displayName || editing.email}`}
          load={() => fetchFresh(queryClient, trpc.identity.users.get.queryOptions({ id: editing.id }))}
          onClose={() => setEditing(null)}
        >
          {(fresh, reload) => <EditRolesModal user={fresh} onReload={reload} onClose={() => setEditing(null)} onSaved={refresh} />}
        </FreshEdit>
      )}
      {disabling && (
        <ConfirmDialog
          title="Disable user"
          confirmLabel="Disable"
          danger
          busy={disable.isPending}
          onClose={() => setDisabling(null)}
          onConfirm={() => disable.mutate({ id: disabling.id })}
        >
          <p className="mb-0">
            Disable <strong>{disabling.email}</strong>? They are signed out everywhere and their API tokens stop working.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
