import type { SessionView } from "@ops/domain/schemas/identity";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { QueryStates } from "../../components/query-states";
import { useFormatDate } from "../../app/use-format-date";
import { ProfileTabs } from "./profile-tabs";

export function SessionsPage() {
  const fmt = useFormatDate();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const sessions = useQuery(trpc.identity.sessions.list.queryOptions());
  const [error, setError] = useState<string | null>(null);
  const [endingAll, setEndingAll] = useState(false);
  const onError = (e: unknown) => setError(describeError(e));
  const revoke = useMutation(
    trpc.identity.sessions.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.identity.sessions.pathFilter()),
      onError,
    }),
  );
  const revokeAll = useMutation(
    trpc.identity.sessions.revokeAll.mutationOptions({
      onSuccess: async () => {
        queryClient.clear();
        await navigate({ to: "/login" });
      },
      onError,
    }),
  );
  return (
    <div>
      <ProfileTabs />
      <div className="d-flex flex-wrap justify-content-between align-items-center gap-2 mb-3">
        <p className="text-body-secondary mb-0">Browsers and devices signed in to your account.</p>
        <button type="button" className="btn btn-outline-danger" disabled={revokeAll.isPending} onClick={() => setEndingAll(true)}>
          Sign out everywhere
        </button>
      </div>
      {error && <div className="alert alert-danger">{error}</div>}
      <QueryStates query={sessions} isEmpty={(data) => data.length === 0} empty="No sessions.">
        {(data) => (
          <div className="table-responsive">
            <table className="table align-middle">
              <thead>
                <tr>
                  <th>Browser</th>
                  <th>IP</th>
                  <th>Last seen</th>
                  <th className="d-none d-md-table-cell">Signed in</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {(data as SessionView[]).map((s) => (
                  <tr key={s.id}>
                    <td>
                      {s.browser} {s.current && <span className="badge text-bg-primary ms-1">This browser</span>}
                    </td>
                    <td className="small">{s.ip ?? "—"}</td>
                    <td className="small">{fmt.dateTime(s.lastSeenAt)}</td>
                    <td className="d-none d-md-table-cell small">{fmt.dateTime(s.createdAt)}</td>
                    <td className="text-end">
                      {!s.current && (
                        <button
                          type="button"
                          className="btn btn-sm btn-outline-danger"
                          disabled={revoke.isPending}
                          onClick={() => revoke.mutate({ id: s.id })}
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
      {endingAll && (
        <ConfirmDialog
          title="Sign out everywhere"
          confirmLabel="Sign out everywhere"
          danger
          busy={revokeAll.isPending}
          onClose={() => setEndingAll(false)}
          onConfirm={() => revokeAll.mutate()}
        >
          <p className="mb-0">Sign out of every browser and device, including this one?</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
