import type { UserView } from "@ops/domain/schemas/identity";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { ErrorAlert } from "../../components/form";
import { Modal } from "../../components/modal";
import { RolePicker } from "./role-picker";

export function EditRolesModal(props: { user: UserView; onClose: () => void; onSaved: () => void }) {
  const [roleIds, setRoleIds] = useState(props.user.roles.map((r) => r.id));
  const [error, setError] = useState<string | null>(null);
  const save = useMutation(
    trpc.identity.users.setRoles.mutationOptions({
      onSuccess: () => {
        props.onSaved();
        props.onClose();
      },
      onError: (e) => setError(describeError(e)),
    }),
  );
  return (
    <Modal
      title={`Roles of ${props.user.displayName || props.user.email}`}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="btn btn-outline-secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={save.isPending}
            onClick={() => save.mutate({ id: props.user.id, roleIds })}
          >
            Save roles
          </button>
        </>
      }
    >
      <ErrorAlert error={error} />
      <RolePicker value={roleIds} onChange={setRoleIds} idPrefix="edit-role" />
    </Modal>
  );
}
