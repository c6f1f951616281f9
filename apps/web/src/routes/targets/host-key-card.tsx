import type { TargetDetail } from "@ops/domain/schemas/assets-targets";
import { useMutation } from "@tanstack/react-query";
import { ShieldAlert } from "lucide-react";
import { useState } from "react";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { ErrorAlert } from "../../components/form";

/** The pinned key, and when it changed: both fingerprints and (for hostkeys.accept) "Accept new key". */
export function HostKeyCard({ target, onChanged }: { target: TargetDetail; onChanged: () => void }) {
  const me = useMe();
  const fmt = useFormatDate();
  const [error, setError] = useState<string | null>(null);
  const [forgetting, setForgetting] = useState(false);
  const [accepting, setAccepting] = useState(false);
  const key = target.hostKey;
  const canAccept = allows(me, "hostkeys.accept");
  const accept = useMutation(
    trpc.assets.hostKeys.accept.mutationOptions({
      onSuccess: () => (setAccepting(false), onChanged()),
      onError: (e) => (setAccepting(false), setError(describeError(e))),
    }),
  );
  const forget = useMutation(
    trpc.assets.hostKeys.forget.mutationOptions({
      onSuccess: () => (setForgetting(false), onChanged()),
      onError: (e) => setError(describeError(e)),
    }),
  );
  const changed = target.status === "host_key_changed" || !!key.pendingFingerprint;
  return (
    <div className="card h-100" data-testid="host-key-card">
      <div className="card-header fw-semibold">Host key</div>
      <div className="card-body">
        <ErrorAlert error={error} />
        {changed && key.pendingFingerprint && (
          <div className="alert alert-danger" role="alert" data-testid="host-key-changed">
            <div className="d-flex align-items-center gap-2 fw-semibold mb-2">
              <ShieldAlert size={18} /> The host presented a different key
            </div>
            <p className="small mb-2">
              Connections are refused until someone checks the new key with the server's owner and accepts it. It may be a reinstall, or
              someone in the middle.
            </p>
            <dl className="row small mb-2">
              <dt className="col-12 col-sm-3">Pinned</dt>
              <dd className="col-12 col-sm-9 font-monospace text-break" data-testid="old-fingerprint">
                {key.type} {key.fingerprint}
              </dd>
              <dt className="col-12 col-sm-3">New</dt>
              <dd className="col-12 col-sm-9 font-monospace text-break" data-testid="new-fingerprint">
                {key.pendingType} {key.pendingFingerprint}
                {key.pendingSeenAt && <span className="text-body-secondary"> (seen {fmt.dateTime(key.pendingSeenAt)})</span>}
              </dd>
            </dl>
            {canAccept && (
              <button
                type="button"
                className="btn btn-danger btn-sm"
                disabled={accept.isPending}
                onClick={() => setAccepting(true)}
                data-testid="accept-host-key"
              >
                Accept new key
              </button>
            )}
          </div>
        )}
        {key.fingerprint ? (
          <dl className="row small mb-0">
            <dt className="col-4">Type</dt>
            <dd className="col-8">{key.type ?? "—"}</dd>
            <dt className="col-4">Fingerprint</dt>
            <dd className="col-8 font-monospace text-break" data-testid="pinned-fingerprint">
              {key.fingerprint}
            </dd>
            <dt className="col-4">Pinned</dt>
            <dd className="col-8">{key.pinnedAt ? fmt.dateTime(key.pinnedAt) : "—"}</dd>
          </dl>
        ) : (
          <div className="small text-body-secondary">No key pinned yet. The first successful connection pins the key it sees.</div>
        )}
        {canAccept && key.fingerprint && (
          <button type="button" className="btn btn-link btn-sm px-0 mt-2 text-danger" onClick={() => setForgetting(true)}>
            Forget pinned key
          </button>
        )}
      </div>
      {accepting && key.pendingFingerprint && (
        <ConfirmDialog
          title="Accept the new host key"
          confirmLabel="Trust the new key"
          danger
          busy={accept.isPending}
          onClose={() => setAccepting(false)}
          onConfirm={() => accept.mutate({ targetId: target.id, fingerprint: key.pendingFingerprint! })}
        >
          <p>
            Only accept it if the server's owner confirms the new fingerprint (for example from <code>ssh-keygen -lf</code> on the host).
            Otherwise someone may be in the middle, and credentials would be sent to them.
          </p>
          <dl className="row small mb-0" data-testid="accept-key-fingerprints">
            <dt className="col-12 col-sm-4">Pinned until now</dt>
            <dd className="col-12 col-sm-8 font-monospace text-break" data-testid="accept-old-fingerprint">
              {key.type} {key.fingerprint ?? "none"}
            </dd>
            <dt className="col-12 col-sm-4">New, to trust</dt>
            <dd className="col-12 col-sm-8 font-monospace text-break" data-testid="accept-new-fingerprint">
              {key.pendingType} {key.pendingFingerprint}
            </dd>
          </dl>
        </ConfirmDialog>
      )}
      {forgetting && (
        <ConfirmDialog
          title="Forget the host key"
          confirmLabel="Forget key"
          danger
          busy={forget.isPending}
          onClose={() => setForgetting(false)}
          onConfirm={() => forget.mutate({ targetId: target.id })}
        >
          <p className="mb-0">
            The next connection will trust whatever key the host presents and pin it. Only do this if you know the host was rebuilt.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
