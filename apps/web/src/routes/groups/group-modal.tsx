import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { changedFields } from "../../app/changes";
import { useFormErrors, validate } from "../../app/errors";
import { targetSchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { GroupSelect, type FlatGroup } from "../../components/asset-pickers";
import { ErrorAlert, Field, InputField } from "../../components/form";
import { FormModalFooter, Modal } from "../../components/modal";
import { StaleEditAlert } from "../../components/stale-edit-alert";

/** Create a group (under a parent), or rename / move / describe one (sending only what changed). */
export function GroupModal(props: {
  group?: FlatGroup;
  parentId?: string | null;
  onClose: () => void;
  onSaved: () => void;
  onReload?: () => void;
}) {
  const g = props.group;
  const start = { name: g?.name ?? "", description: g?.description ?? "", parentId: g?.parentId ?? props.parentId ?? "" };
  const [name, setName] = useState(start.name);
  const [description, setDescription] = useState(start.description);
  const [parentId, setParentId] = useState(start.parentId);
  const dirty = name !== start.name || description !== start.description || parentId !== start.parentId;
  const { errors, setErrors, error, setError, stale, onError } = useFormErrors({ onlyBesideFields: true });
  const onSuccess = () => {
    props.onSaved();
    props.onClose();
  };
  const create = useMutation(trpc.assets.groups.create.mutationOptions({ onSuccess, onError }));
  const update = useMutation(trpc.assets.groups.update.mutationOptions({ onSuccess, onError }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (g) {
      const checked = validate(targetSchemas.updateGroupInput, { id: g.id, name, description, parentId: parentId || null });
      if (!checked.ok) return setErrors(checked.errors);
      setErrors({});
      const changes = changedFields({ name: g.name, description: g.description, parentId: g.parentId }, checked.data);
      if (Object.keys(changes).length === 0) return props.onClose();
      return update.mutate({ id: g.id, expectedUpdatedAt: g.updatedAt, ...changes });
    }
    const checked = validate(targetSchemas.createGroupInput, { name, description, parentId: parentId || null });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    create.mutate(checked.data);
  };
  const busy = create.isPending || update.isPending;
  return (
    <Modal
      title={g ? `Edit ${g.name}` : "New group"}
      onClose={props.onClose}
      dirty={dirty}
      footer={
        <FormModalFooter
          formId="group-form"
          submitLabel={g ? "Save" : "Create group"}
          busy={busy}
          onCancel={props.onClose}
          testId="group-submit"
        />
      }
    >
      <form id="group-form" onSubmit={submit} noValidate>
        <StaleEditAlert message={stale} onReload={() => props.onReload?.()} />
        <ErrorAlert error={error} />
        <InputField id="group-name" name="name" label="Name" errors={errors} value={name} onChange={setName} autoFocus />
        <Field id="group-parent" name="parentId" label="Parent group" errors={errors}>
          {() => <GroupSelect id="group-parent" value={parentId} onChange={setParentId} emptyLabel="None (top level)" exclude={g?.id} />}
        </Field>
        <InputField
          id="group-description"
          name="description"
          label="Description"
          errors={errors}
          value={description}
          onChange={setDescription}
        />
      </form>
    </Modal>
  );
}
