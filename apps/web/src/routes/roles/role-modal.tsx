import type { Permission } from "@ops/domain/permissions";
import type { RoleView } from "@ops/domain/schemas/identity";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { changedFields, hasChanges } from "../../app/changes";
import { useFormErrors, validate } from "../../app/errors";
import { identitySchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { ErrorAlert, InputField } from "../../components/form";
import { FormModalFooter, Modal } from "../../components/modal";
import { PermissionChecklist } from "../../components/permission-checklist";
import { StaleEditAlert } from "../../components/stale-edit-alert";

/** Create or edit a role. Built-in roles keep their permissions; only "Require MFA" changes. */
export function RoleModal(props: {
  role: RoleView | null;
  readOnly: boolean;
  onClose: () => void;
  onSaved: () => void;
  onReload?: () => void;
}) {
  const role = props.role;
  const builtin = !!role?.builtin;
  const start = {
    name: role?.name ?? "",
    description: role?.description ?? "",
    permissions: role?.permissions ?? ([] as Permission[]),
    requireMfa: role?.requireMfa ?? false,
  };
  const [name, setName] = useState(start.name);
  const [description, setDescription] = useState(start.description);
  const [permissions, setPermissions] = useState<Permission[]>(start.permissions);
  const [requireMfa, setRequireMfa] = useState(start.requireMfa);
  const dirty = !props.readOnly && hasChanges(start, { name, description, permissions, requireMfa });
  const { errors, setErrors, error, setError, stale, onError } = useFormErrors();
  const handlers = {
    onSuccess: () => {
      props.onSaved();
      props.onClose();
    },
    onError,
  };
  const catalogue = useQuery(trpc.identity.roles.catalogue.queryOptions());
  const create = useMutation(trpc.identity.roles.create.mutationOptions(handlers));
  const update = useMutation(trpc.identity.roles.update.mutationOptions(handlers));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!role) {
      const checked = validate(identitySchemas.createRoleInput, { name, description, permissions, requireMfa });
      if (!checked.ok) return setErrors(checked.errors);
      setErrors({});
      return create.mutate(checked.data);
    }
    const input = builtin ? { id: role.id, requireMfa } : { id: role.id, name, description, permissions, requireMfa };
    const checked = validate(identitySchemas.updateRoleInput, input);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    const changes = changedFields(start, checked.data);
    if (Object.keys(changes).length === 0) return props.onClose();
    update.mutate({ id: role.id, expectedUpdatedAt: role.updatedAt, ...changes });
  };
  const pending = create.isPending || update.isPending;
  const title = props.readOnly ? `Role ${role?.name}` : role ? `Edit role ${role.name}` : "New role";

  return (
    <Modal
      title={title}
      size="lg"
      onClose={props.onClose}
      dirty={dirty}
      footer={<FormModalFooter formId="role-form" submitLabel="Save" busy={pending} onCancel={props.onClose} readOnly={props.readOnly} />}
    >
      <form id="role-form" onSubmit={submit} noValidate>
        <StaleEditAlert message={stale} onReload={() => props.onReload?.()} />
        <ErrorAlert error={error} />
        {builtin && (
          <div className="alert alert-info py-2">
            This is a built-in role: its permissions are fixed. You can still require MFA for its members.
          </div>
        )}
        <div className="row">
          <div className="col-md-5">
            <InputField
              id="role-name"
              name="name"
              label="Name"
              errors={errors}
              value={name}
              disabled={builtin || props.readOnly}
              onChange={setName}
            />
          </div>
          <div className="col-md-7">
            <InputField
              id="role-description"
              name="description"
              label="Description"
              errors={errors}
              value={description}
              disabled={builtin || props.readOnly}
              onChange={setDescription}
            />
          </div>
        </div>
        <div className="form-check form-switch mb-3">
          <input
            className="form-check-input"
            type="checkbox"
            role="switch"
            id="role-mfa"
            checked={requireMfa}
            disabled={props.readOnly}
            onChange={(e) => setRequireMfa(e.target.checked)}
          />
          <label className="form-check-label" htmlFor="role-mfa">
            Require MFA for members of this role
          </label>
        </div>
        <h3 className="h6">Permissions</h3>
        {errors.permissions && <div className="invalid-feedback d-block mb-2">{errors.permissions.join(" ")}</div>}
        <PermissionChecklist
          idPrefix="role-perm"
          groups={catalogue.data}
          value={permissions}
          onChange={setPermissions}
          readOnly={builtin || props.readOnly}
        />
      </form>
    </Modal>
  );
}
