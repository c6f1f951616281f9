import type { CredentialView } from "@ops/domain/schemas/assets-credentials";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { CredentialSelect } from "../../components/asset-pickers";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { ErrorAlert } from "../../components/form";

/** Which kinds can stand in for a credential on the targets using it. */
function replacementKinds(kind: CredentialView["kind"]): string[] | undefined {
  if (kind === "ssh_key" || kind === "ssh_password") return ["ssh_key", "ssh_password"];
  if (kind === "become_password") return ["become_password", "ssh_password"];
  return undefined;
}

/**
 * Deleting a credential that targets use: move them to another credential, or leave them
 * without one (the server refuses a plain delete while targets use it).
 */
export function DeleteCredentialDialog(props: { credential: CredentialView; onClose: () => void; onDeleted: () => void }) {
  // The list row may be old: count the targets as they are now.
  const fresh = useQuery({ ...trpc.assets.credentials.get.queryOptions({ id: props.credential.id }), refetchOnMount: "always" });
  const c = fresh.data ?? props.credential;
  const [choice, setChoice] = useState<"reassign" | "none">("reassign");
  const [reassignTo, setReassignTo] = useState("");
  const [error, setError] = useState<string | null>(null);
  const remove = useMutation(
    trpc.assets.credentials.delete.mutationOptions({
      onSuccess: () => (props.onDeleted(), props.onClose()),
      onError: (e) => setError(describeError(e)),
    }),
  );
  const used = c.targetCount > 0;
  const targets = `${c.targetCount} target${c.targetCount === 1 ? "" : "s"}`;
  const confirm = () => {
    setError(null);
    if (!used) return remove.mutate({ id: c.id });
    if (choice === "none") return remove.mutate({ id: c.id, reassignTo: null });
    if (!reassignTo) return setError("Choose the credential those targets should use instead.");
    remove.mutate({ id: c.id, reassignTo });
  };
  return (
    <ConfirmDialog
      title="Delete credential"
      confirmLabel={used && choice === "reassign" ? "Reassign and delete" : "Delete"}
      danger
      busy={remove.isPending || fresh.isFetching}
      onClose={props.onClose}
      onConfirm={confirm}
    >
      <ErrorAlert error={error} />
      <p className={used ? "" : "mb-0"} data-testid="delete-credential-usage">
        Delete <strong>{c.name}</strong>? {used ? `${targets} use it.` : "No target uses it."}
      </p>
      {used && (
        <fieldset>
          <legend className="visually-hidden">What happens to the targets using it</legend>
          <div className="form-check">
            <input
              className="form-check-input"
              type="radio"
              id="delete-reassign"
              checked={choice === "reassign"}
              onChange={() => setChoice("reassign")}
            />
            <label className="form-check-label" htmlFor="delete-reassign">
              Switch those {targets} to another credential
            </label>
          </div>
          {choice === "reassign" && (
            <div className="ms-4 my-2" style={{ maxWidth: 320 }}>
              <CredentialSelect
                id="delete-reassign-to"
                ariaLabel="Replacement credential"
                value={reassignTo}
                onChange={setReassignTo}
                kinds={replacementKinds(c.kind)}
                exclude={c.id}
                emptyLabel="Choose a credential"
              />
            </div>
          )}
          <div className="form-check">
            <input
              className="form-check-input"
              type="radio"
              id="delete-leave"
              checked={choice === "none"}
              onChange={() => setChoice("none")}
            />
            <label className="form-check-label" htmlFor="delete-leave">
              Leave those {targets} without a credential (their connection tests will fail until one is set)
            </label>
          </div>
        </fieldset>
      )}
    </ConfirmDialog>
  );
}
