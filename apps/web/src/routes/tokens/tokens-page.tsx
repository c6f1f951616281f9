import type { TokenView } from "@ops/domain/schemas/identity";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { CreateButton } from "../../components/page-header";
import { QueryStates } from "../../components/query-states";
import { useFormatDate } from "../../app/use-format-date";
import { CreateTokenModal } from "./create-token-modal";

function tokenStatus(t: TokenView) {
  if (t.revokedAt) return <span className="badge text-bg-secondary">Revoked</span>;
  if (t.expiresAt && new Date(t.expiresAt) < new Date()) return <span className="badge text-bg-warning">Expired</span>;
  return <span className="badge text-bg-success">Active</span>;
}

export function TokensPage() {
  const fmt = useFormatDate();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.identity.tokens.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.identity.tokens.pathFilter());
  const revoke = useMutation(
    trpc.identity.tokens.revoke.mutationOptions({
      onSuccess: () => (setRevoking(null), refresh()),
      onError: (e) => (setRevoking(null), setError(describeError(e))),
    }),
  );
  return (
    <div>
      <div className="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-3">
        <div>
          <h1 className="h3 mb-0">API tokens</h1>
          <div className="text-body-secondary small">For the SDK and the opsctl CLI. A token can do at most what you can.</div>
        </div>
        <CreateButton onClick={() => setCreating(true)}>New token</CreateButton>
      </div>
      {error && <div className="alert alert-danger">{error}</div>}
      <QueryStates query={tokens} isEmpty={(data) => data.length === 0} empty="You have no API tokens.">
        {(data) => (
          <div className="table-responsive">
            <table className="table align-middle">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th className="d-none d-md-table-cell">Permissions</th>
                  <th>Expires</th>
                  <th className="d-none d-md-table-cell">Last used</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {(data as TokenView[]).map((t) => (
                  <tr key={t.id}>
                    <td>
                      <div className="fw-medium">{t.name}</div>
                      <code className="small">{t.prefix}…</code>
                    </td>
                    <td>{tokenStatus(t)}</td>
                    <td className="d-none d-md-table-cell small">{t.permissions.join(", ")}</td>
                    <td className="small">{t.expiresAt ? fmt.date(t.expiresAt) : "never"}</td>
                    <td className="d-none d-md-table-cell small">
                      {t.lastUsedAt ? `${fmt.dateTime(t.lastUsedAt)}${t.lastUsedIp ? ` from ${t.lastUsedIp}` : ""}` : "never"}
                    </td>
                    <td className="text-end">
                      {!t.revokedAt && (
                        <button
                          type="button"
                          className="btn btn-sm btn-outline-danger"
                          disabled={revoke.isPending}
                          onClick={() => setRevoking(t)}
                        >
                          Revoke
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
      {creating && <CreateTokenModal onClose={() => setCreating(false)} onCreated={refresh} />}
      {revoking && (
        <ConfirmDialog
          title="Revoke token"
          confirmLabel="Revoke"
          danger
          busy={revoke.isPending}
          onClose={() => setRevoking(null)}
          onConfirm={() => revoke.mutate({ id: revoking.id })}
        >
          <p className="mb-0">
            Revoke <strong>{revoking.name}</strong>? Anything using it stops working at once.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
