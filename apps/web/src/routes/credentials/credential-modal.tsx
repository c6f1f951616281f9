import type { CredentialView } from "@ops/domain/schemas/assets-credentials";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { changedFields } from "../../app/changes";
import { useFormErrors, validate } from "../../app/errors";
import { credentialSchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { ErrorAlert, Field, inputClass, InputField, TextareaField } from "../../components/form";
import { FormModalFooter, Modal } from "../../components/modal";
import { StaleEditAlert } from "../../components/stale-edit-alert";

type Kind = credentialSchemas.CredentialKindValue;
const { CREDENTIAL_KIND_VALUES, CREDENTIAL_KIND_LABELS, KINDS_NEEDING_USERNAME } = credentialSchemas;

/**
 * Create or edit a credential. Secrets are write-only: the secret fields start empty, and
 * on edit an empty secret keeps the stored one. Server messages ("Wrong passphrase")
 * appear beside their field.
 */
export function CredentialModal(props: { credential?: CredentialView; onClose: () => void; onSaved: () => void; onReload?: () => void }) {
  const editing = props.credential;
  const [kind, setKind] = useState<Kind>(editing?.kind ?? "ssh_key");
  const [name, setName] = useState(editing?.name ?? "");
  const [username, setUsername] = useState(editing?.username ?? "");
  const [description, setDescription] = useState(editing?.description ?? "");
  const [secret, setSecret] = useState("");
  const [passphrase, setPassphrase] = useState("");
  // A message that sits beside its field need not be repeated on top.
  const { errors, setErrors, error, setError, stale, onError } = useFormErrors({ onlyBesideFields: true });
  const dirty =
    !!secret ||
    !!passphrase ||
    name !== (editing?.name ?? "") ||
    username !== (editing?.username ?? "") ||
    description !== (editing?.description ?? "") ||
    kind !== (editing?.kind ?? "ssh_key");

  const onSuccess = () => {
    props.onSaved();
    props.onClose();
  };
  const create = useMutation(trpc.assets.credentials.create.mutationOptions({ onSuccess, onError }));
  const update = useMutation(trpc.assets.credentials.update.mutationOptions({ onSuccess, onError }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const withUser = KINDS_NEEDING_USERNAME.includes(kind) || kind === "become_password";
    if (editing) {
      const checked = validate(credentialSchemas.updateCredentialInput, {
        id: editing.id,
        name,
        username: withUser ? username : undefined,
        description,
        secret: secret || undefined,
        passphrase: kind === "ssh_key" && secret ? passphrase || undefined : undefined,
      });
      if (!checked.ok) return setErrors(checked.errors);
      setErrors({});
      const { id, secret: newSecret, passphrase: newPassphrase, ...fields } = checked.data;
      const changes = changedFields({ name: editing.name, username: editing.username, description: editing.description }, fields);
      if (Object.keys(changes).length === 0 && !newSecret) return props.onClose();
      return update.mutate({ id, expectedUpdatedAt: editing.updatedAt, ...changes, secret: newSecret, passphrase: newPassphrase });
    }
    const checked = validate(credentialSchemas.createCredentialInput, {
      name,
      kind,
      username: withUser ? username : "",
      description,
      secret,
      passphrase: kind === "ssh_key" && passphrase ? passphrase : undefined,
    });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    create.mutate(checked.data);
  };

  const busy = create.isPending || update.isPending;
  const keepHelp = editing ? "Leave empty to keep the stored secret." : undefined;
  return (
    <Modal
      title={editing ? `Edit ${editing.name}` : "New credential"}
      size="lg"
      onClose={props.onClose}
      dirty={dirty}
      footer={
        <FormModalFooter
          formId="credential-form"
          submitLabel={editing ? "Save" : "Create credential"}
          busy={busy}
          onCancel={props.onClose}
          testId="credential-submit"
        />
      }
    >
      <form id="credential-form" onSubmit={submit} noValidate autoComplete="off">
        <StaleEditAlert message={stale} onReload={() => props.onReload?.()} />
        <ErrorAlert error={error} />
        <InputField id="credential-name" name="name" label="Name" errors={errors} value={name} onChange={setName} autoFocus />
        <Field
          id="credential-kind"
          name="kind"
          label="Kind"
          errors={errors}
          help={editing ? "The kind cannot change; make a new credential instead." : undefined}
        >
          {(invalid) => (
            <select
              id="credential-kind"
              className={inputClass(invalid, "form-select")}
              value={kind}
              disabled={!!editing}
              onChange={(e) => setKind(e.target.value as Kind)}
            >
              {CREDENTIAL_KIND_VALUES.map((k) => (
                <option key={k} value={k}>
                  {CREDENTIAL_KIND_LABELS[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {kind !== "generic_secret" && (
          <InputField
            id="credential-username"
            name="username"
            label="User name"
            errors={errors}
            help={kind === "become_password" ? "Optional: the user to become (default root)." : undefined}
            value={username}
            onChange={setUsername}
            autoComplete="off"
          />
        )}
        {kind === "ssh_key" ? (
          <>
            <TextareaField
              id="credential-secret"
              name="secret"
              label="Private key"
              errors={errors}
              help={keepHelp ?? "OpenSSH, PEM or PuTTY format."}
              rows={6}
              base="form-control font-monospace small"
              value={secret}
              onChange={setSecret}
              spellCheck={false}
            />
            <InputField
              id="credential-passphrase"
              name="passphrase"
              label="Passphrase (if the key is encrypted)"
              errors={errors}
              type="password"
              value={passphrase}
              onChange={setPassphrase}
              autoComplete="new-password"
            />
          </>
        ) : kind === "generic_secret" ? (
          <TextareaField
            id="credential-secret"
            name="secret"
            label="Secret"
            errors={errors}
            help={keepHelp}
            rows={3}
            base="form-control font-monospace"
            value={secret}
            onChange={setSecret}
            spellCheck={false}
          />
        ) : (
          <InputField
            id="credential-secret"
            name="secret"
            label="Password"
            errors={errors}
            help={keepHelp}
            type="password"
            value={secret}
            onChange={setSecret}
            autoComplete="new-password"
          />
        )}
        <InputField
          id="credential-description"
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
