import type { UserView } from "@ops/domain/schemas/identity";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { sameValue } from "../../app/changes";
import { useFormErrors } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { ErrorAlert } from "../../components/form";
import { Modal } from "../../components/modal";
import { StaleEditAlert } from "../../components/stale-edit-alert";
import { RolePicker } from "./role-picker";

/** A user's roles, as loaded when the dialog opened; saving over a newer change is refused. */
export function EditRolesModal(props: { user: UserView; onClose: () => void; onSaved: () => void; onReload?: () => void }) {
  const start = props.user.roles.map((r) => r.id);
  const [roleIds, setRoleIds] = useState(start);
  const { error, stale, onError } = useFormErrors();
  const save = useMutation(
    trpc.identity.users.setRoles.mutationOptions({
      onSuccess: () => {
        props.onSaved();
        props.onClose();
      },
      onError,
    }),
  );
  const dirty = !sameValue(start, roleIds);
  return (
    <Modal
      title={`Roles of ${props.user.displayName || props.user.email}`}
      onClose={props.onClose}
      dirty={dirty}
      footer={
        <>
          <button type="button" className="btn btn-outline-secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={save.isPending}
            onClick={() => (dirty ? save.mutate({ id: props.user.id, roleIds, expectedUpdatedAt: props.user.updatedAt }) : props.onClose())}
            data-testid="save-roles"
          >
            Save roles
          </button>
        </>
      }
    >
      <StaleEditAlert message={stale} onReload={() => props.onReload?.()} />
      <ErrorAlert error={error} />
      <RolePicker value={roleIds} onChange={setRoleIds} idPrefix="edit-role" />
    </Modal>
  );
}
