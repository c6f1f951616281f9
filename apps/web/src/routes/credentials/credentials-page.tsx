import type { CredentialView } from "@ops/domain/schemas/assets-credentials";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { fetchFresh } from "../../app/fetch-fresh";
import { allows } from "../../app/access";
import { credentialSchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { useDebouncedSearch } from "../../app/use-debounced-search";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { FreshEdit } from "../../components/fresh-edit";
import { CreateButton, PageHeader } from "../../components/page-header";
import { QueryTable } from "../../components/query-table";
import { SearchBox } from "../../components/search-box";
import { CredentialModal } from "./credential-modal";
import { DeleteCredentialDialog } from "./delete-credential-dialog";
import { credentialsListInput } from "./credentials-search";

const route = getRouteApi("/app/credentials");

export function CredentialsPage() {
  const fmt = useFormatDate();
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/credentials" });
  const me = useMe();
  const canManage = allows(me, "credentials.manage");
  const queryClient = useQueryClient();
  const [searchText, setSearchText] = useDebouncedSearch(search.search, (text) =>
    navigate({ search: (s) => ({ ...s, search: text, page: 1 }) }),
  );
  const [editing, setEditing] = useState<CredentialView | "new" | null>(null);
  const [deleting, setDeleting] = useState<CredentialView | null>(null);

  const list = useQuery({ ...trpc.assets.credentials.list.queryOptions(credentialsListInput(search)), placeholderData: keepPreviousData });
  // Targets show their credential's name and the home page counts credentials.
  const refresh = () => queryClient.invalidateQueries(trpc.assets.pathFilter());

  return (
    <div>
      <PageHeader title="Credentials">
        {canManage && (
          <CreateButton onClick={() => setEditing("new")} testId="create-credential">
            New credential
          </CreateButton>
        )}
      </PageHeader>
      <div className="row g-2 mb-3">
        <div className="col-12 col-sm-8 col-md-6">
          <SearchBox value={searchText} onChange={setSearchText} placeholder="Search name or user" label="Search credentials" />
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
      <QueryTable
        query={list}
        empty={search.search || search.kind ? "No credentials match." : "No credentials yet."}
        testId="credentials-table"
        head={
          <>
            <th>Name</th>
            <th>Kind</th>
            <th className="d-none d-sm-table-cell">User</th>
            <th className="d-none d-md-table-cell">Public key</th>
            <th className="d-none d-lg-table-cell">Created by</th>
            <th className="d-none d-lg-table-cell">Last used</th>
            {canManage && <th className="text-end">Actions</th>}
          </>
        }
        row={(c) => (
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
        )}
        onPage={(page) => navigate({ search: (s) => ({ ...s, page }) })}
      />
      {editing === "new" && <CredentialModal onClose={() => setEditing(null)} onSaved={refresh} />}
      {editing && editing !== "new" && (
        <FreshEdit
          title={`Edit ${editing.name}`}
          size="lg"
          load={() => fetchFresh(queryClient, trpc.assets.credentials.get.queryOptions({ id: editing.id }))}
          onClose={() => setEditing(null)}
        >
          {(fresh, reload) => <CredentialModal credential={fresh} onReload={reload} onClose={() => setEditing(null)} onSaved={refresh} />}
        </FreshEdit>
      )}
      {deleting && <DeleteCredentialDialog credential={deleting} onClose={() => setDeleting(null)} onDeleted={() => void refresh()} />}
    </div>
  );
}
