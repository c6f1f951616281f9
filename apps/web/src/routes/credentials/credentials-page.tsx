import type { CredentialView } from "@ops/domain/schemas/assets-credentials";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { Plus, Search } from "lucide-react";
import { useEffect, useState } from "react";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { credentialSchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { Pager } from "../../components/pager";
import { Empty, LoadError, Loading } from "../../components/states";
import { CredentialModal } from "./credential-modal";
import { credentialsListInput } from "./credentials-route";

const route = getRouteApi("/app/credentials");

export function CredentialsPage() {
  const fmt = useFormatDate();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/credentials" });
  const me = useMe();
  const canManage = allows(me, "credentials.manage");
  const queryClient = useQueryClient();
  const [searchText, setSearchText] = useState(search.search ?? "");
  const [editing, setEditing] = useState<CredentialView | "new" | null>(null);
  const [deleting, setDeleting] = useState<CredentialView | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const t = setTimeout(() => {
      if ((search.search ?? "") !== searchText) void navigate({ search: (s) => ({ ...s, search: searchText || undefined, page: 1 }) });
    }, 300);
    return () => clearTimeout(t);
  }, [searchText]);

  const list = useQuery({ ...trpc.assets.credentials.list.queryOptions(credentialsListInput(search)), placeholderData: keepPreviousData });
  const refresh = () => queryClient.invalidateQueries(trpc.assets.credentials.pathFilter());
  const remove = useMutation(
    trpc.assets.credentials.delete.mutationOptions({
      onSuccess: () => (setDeleting(null), refresh()),
      onError: (e) => (setDeleting(null), setError(describeError(e))),
    }),
  );

  return (
    <div>
      <div className="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-3">
        <h1 className="h3 mb-0">Credentials</h1>
        {canManage && (
          <button
            type="button"
            className="btn btn-primary d-flex align-items-center gap-1"
            onClick={() => setEditing("new")}
            data-testid="create-credential"
          >
            <Plus size={18} /> New credential
          </button>
        )}
      </div>
      <div className="row g-2 mb-3">
        <div className="col-12 col-sm-8 col-md-6">
          <div className="input-group">
            <span className="input-group-text">
              <Search size={16} aria-hidden="true" />
            </span>
            <input
              className="form-control"
              placeholder="Search name or user"
              aria-label="Search credentials"
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
            />
          </div>
        </div>
        <div className="col-12 col-sm-4 col-md-3">
          <select
            className="form-select"
            aria-label="Kind"
            value={search.kind ?? ""}
            onChange={(e) => navigate({ search: (s) => ({ ...s, kind: (e.target.value || undefined) as typeof search.kind, page: 1 }) })}
          >
            <option value="">All kinds</option>
            {credentialSchemas.CREDENTIAL_KIND_VALUES.map((k) => (
              <option key={k} value={k}>
                {credentialSchemas.CREDENTIAL_KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
      </div>
      {error && (
        <div className="alert alert-danger alert-dismissible" role="alert">
          {error}
          <button type="button" className="btn-close" aria-label="Dismiss" onClick={() => setError(null)} />
        </div>
      )}
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <LoadError error={list.error} />
      ) : list.data.items.length === 0 ? (
        <Empty>{search.search || search.kind ? "No credentials match." : "No credentials yet."}</Empty>
      ) : (
        <>
          <div className="table-responsive">
            <table className="table table-hover align-middle" data-testid="credentials-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Kind</th>
                  <th className="d-none d-sm-table-cell">User</th>
                  <th className="d-none d-md-table-cell">Public key</th>
                  <th className="d-none d-lg-table-cell">Created by</th>
                  <th className="d-none d-lg-table-cell">Last used</th>
                  {canManage && <th className="text-end">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <div className="fw-medium">{c.name}</div>
                      {c.description && <div className="small text-body-secondary">{c.description}</div>}
                    </td>
                    <td className="small">{credentialSchemas.CREDENTIAL_KIND_LABELS[c.kind]}</td>
                    <td className="d-none d-sm-table-cell small">{c.username || "—"}</td>
                    <td className="d-none d-md-table-cell small font-monospace text-break" data-testid="credential-fingerprint">
                      {c.publicKeyFingerprint ? `${c.publicKeyType ?? ""} ${c.publicKeyFingerprint}` : "—"}
                    </td>
                    <td className="d-none d-lg-table-cell small">{c.createdBy?.displayName ?? "—"}</td>
                    <td className="d-none d-lg-table-cell small text-nowrap">{c.lastUsedAt ? fmt.dateTime(c.lastUsedAt) : "never"}</td>
                    {canManage && (
                      <td className="text-end text-nowrap">
                        <button type="button" className="btn btn-sm btn-outline-secondary me-1" onClick={() => setEditing(c)}>
                          Edit
                        </button>
                        <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => setDeleting(c)}>
                          Delete
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            page={list.data.page}
            pageSize={list.data.pageSize}
            total={list.data.total}
            onPage={(page) => navigate({ search: (s) => ({ ...s, page }) })}
          />
        </>
      )}
      {editing && (
        <CredentialModal credential={editing === "new" ? undefined : editing} onClose={() => setEditing(null)} onSaved={refresh} />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete credential"
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          onClose={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ id: deleting.id })}
        >
          <p className="mb-0">
            Delete <strong>{deleting.name}</strong>?{" "}
            {deleting.targetCount > 0 ? `${deleting.targetCount} target(s) use it and will have no credential.` : "No target uses it."}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
