import type { Permission } from "@ops/domain/permissions";
import { useMutation } from "@tanstack/react-query";
import { TriangleAlert } from "lucide-react";
import { useState, type FormEvent } from "react";
import { useFormErrors, validate } from "../../app/errors";
import { identitySchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { CopyBox } from "../../components/copy-box";
import { ErrorAlert, InputField } from "../../components/form";
import { Modal } from "../../components/modal";
import { PermissionChecklist } from "../../components/permission-checklist";

export function CreateTokenModal(props: { onClose: () => void; onCreated: () => void }) {
  const me = useMe();
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [permissions, setPermissions] = useState<Permission[]>([]);
  const { errors, setErrors, error, setError, onError } = useFormErrors();
  const [token, setToken] = useState<string | null>(null);
  const create = useMutation(
    trpc.identity.tokens.create.mutationOptions({
      onSuccess: (result) => {
        setToken(result.token);
        props.onCreated();
      },
      onError,
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const expiresInDays = days.trim() === "" ? null : Number(days);
    const checked = validate(identitySchemas.createTokenInput, { name, permissions, expiresInDays });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    create.mutate(checked.data);
  };

  if (token) {
    return (
      <Modal
        title="Token created"
        onClose={props.onClose}
        footer={
          <button type="button" className="btn btn-primary" onClick={props.onClose}>
            I have copied it
          </button>
        }
      >
        <div className="alert alert-warning d-flex gap-2">
          <TriangleAlert size={20} className="flex-shrink-0" />
          <span>Copy this token now. It is shown only once and cannot be recovered; if you lose it, revoke it and make a new one.</span>
        </div>
        <CopyBox value={token} testId="new-token" />
      </Modal>
    );
  }
  return (
    <Modal
      title="New API token"
      size="lg"
      onClose={props.onClose}
      dirty={!!name || permissions.length > 0 || days !== "90"}
      footer={
        <>
          <button type="button" className="btn btn-outline-secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" form="token-form" className="btn btn-primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create token"}
          </button>
        </>
      }
    >
      <form id="token-form" onSubmit={submit} noValidate>
        <ErrorAlert error={error} />
        <div className="row">
          <div className="col-md-8">
            <InputField
              id="token-name"
              name="name"
              label="Name"
              errors={errors}
              help="What uses it, e.g. “CI deploy”."
              value={name}
              onChange={setName}
              autoFocus
            />
          </div>
          <div className="col-md-4">
            <InputField
              id="token-days"
              name="expiresInDays"
              label="Expires in (days)"
              errors={errors}
              help="Leave empty for never (not advised)."
              type="number"
              min={1}
              max={3650}
              value={days}
              onChange={setDays}
            />
          </div>
        </div>
        <h3 className="h6">Permissions</h3>
        {errors.permissions && <div className="invalid-feedback d-block mb-2">{errors.permissions.join(" ")}</div>}
        {me.permissions.length === 0 ? (
          <p className="text-body-secondary">You have no permissions to delegate.</p>
        ) : (
          <PermissionChecklist idPrefix="token-perm" value={permissions} onChange={setPermissions} allowed={me.permissions} />
        )}
      </form>
    </Modal>
  );
}
