import type { TargetSummary } from "@ops/domain/schemas/assets-targets";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { allows } from "../../app/access";
import { changedFields, hasChanges } from "../../app/changes";
import { useFormErrors, validate, type FieldErrors } from "../../app/errors";
import { targetSchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { CredentialSelect, GroupChecklist } from "../../components/asset-pickers";
import { ErrorAlert, Field, InputField, TextareaField, SelectField } from "../../components/form";
import { LabelsEditor, type Labels } from "../../components/labels-editor";
import { FormModalFooter, Modal } from "../../components/modal";
import { StaleEditAlert } from "../../components/stale-edit-alert";
import { showToast } from "../../components/toasts";

const { OS_FAMILIES } = targetSchemas;

export type TargetFormValue = {
  id?: string;
  name: string;
  address: string;
  port: number;
  osFamily: (typeof OS_FAMILIES)[number];
  description: string;
  labels: Labels;
  groupIds: string[];
  credentialId: string | null;
  becomeCredentialId: string | null;
  jumpHostId: string | null;
  hostKeyFingerprint?: string | null;
  /** The version the form was loaded from; the save is refused if the target changed since. */
  updatedAt?: string;
  /** The user's role cannot read credentials: the form leaves them alone. */
  credentialHidden?: boolean;
};

const EMPTY: TargetFormValue = {
  name: "",
  address: "",
  port: 22,
  osFamily: "linux",
  description: "",
  labels: {},
  groupIds: [],
  credentialId: null,
  becomeCredentialId: null,
  jumpHostId: null,
  hostKeyFingerprint: "",
};

/** The editable fields of a target as the server sent them. */
export function targetFormValue(t: TargetSummary): TargetFormValue {
  return {
    id: t.id,
    name: t.name,
    address: t.address,
    port: t.port,
    osFamily: t.osFamily,
    description: t.description,
    labels: t.labels,
    groupIds: t.groups.map((g) => g.id),
    credentialId: t.credential?.id ?? null,
    becomeCredentialId: t.becomeCredential?.id ?? null,
    jumpHostId: t.jumpHost?.id ?? null,
    updatedAt: t.updatedAt,
    credentialHidden: t.credentialHidden,
  };
}

/** The fields an edit may send, as the form started. */
function editableFields(v: TargetFormValue) {
  return {
    name: v.name,
    address: v.address,
    port: v.port,
    osFamily: v.osFamily,
    description: v.description,
    labels: v.labels,
    groupIds: v.groupIds,
    credentialId: v.credentialId,
    becomeCredentialId: v.becomeCredentialId,
    jumpHostId: v.jumpHostId,
  };
}

/** "labels.env" -> "labels": per-entry messages sit under the editor they came from. */
function foldNested(errors: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const [key, messages] of Object.entries(errors)) {
    const root = /^(labels|groupIds)\./.test(key) ? key.slice(0, key.indexOf(".")) : key;
    (out[root] ??= []).push(...messages);
  }
  return out;
}

/**
 * Add or edit one target; the server's field errors appear beside their fields. An edit
 * sends only the fields the user changed, with the version it was loaded from.
 */
export function TargetFormModal(props: {
  initial?: TargetFormValue;
  onClose: () => void;
  onSaved: (id: string) => void;
  /** Loads the target again and re-opens the form (after a refused stale save). */
  onReload?: () => void;
}) {
  const editing = !!props.initial?.id;
  // Pinning a key up front is a trust decision: the API wants hostkeys.accept for it.
  const canPin = allows(useMe(), "hostkeys.accept");
  const start = props.initial ?? EMPTY;
  const [v, setV] = useState<TargetFormValue>(start);
  const [portText, setPortText] = useState(String(v.port));
  const { errors, setErrors, error, setError, stale, onError } = useFormErrors({ mapFields: foldNested });
  const dirty = hasChanges(start, v) || portText !== String(start.port);
  const set = <K extends keyof TargetFormValue>(key: K, value: TargetFormValue[K]) => setV((old) => ({ ...old, [key]: value }));
  const jumpHosts = useQuery(trpc.assets.targets.list.queryOptions({ page: 1, pageSize: 100, sort: "name", dir: "asc" }));

  const onSuccess = (r: { id: string }) => {
    props.onSaved(r.id);
    props.onClose();
  };
  const create = useMutation(
    trpc.assets.targets.create.mutationOptions({
      onSuccess: (r) => {
        showToast(`Target "${r.name}" added.`);
        // e.g. another target already uses the same address and port: saved, but worth a look.
        for (const warning of r.warnings) showToast(warning, "warning");
        onSuccess(r);
      },
      onError,
    }),
  );
  const update = useMutation(trpc.assets.targets.update.mutationOptions({ onSuccess, onError }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const body = {
      name: v.name,
      address: v.address,
      port: portText.trim() === "" ? Number.NaN : Number(portText),
      osFamily: v.osFamily,
      description: v.description,
      labels: v.labels,
      groupIds: v.groupIds,
      credentialId: v.credentialId || null,
      becomeCredentialId: v.becomeCredentialId || null,
      jumpHostId: v.jumpHostId || null,
      expectedHostKeyFingerprint: v.hostKeyFingerprint?.trim() || undefined,
    };
    if (editing) {
      const checked = validate(targetSchemas.updateTargetInput, { id: start.id!, ...body });
      if (!checked.ok) return setErrors(foldNested(checked.errors));
      setErrors({});
      const changes = changedFields(editableFields(start), checked.data);
      if (Object.keys(changes).length === 0) return props.onClose();
      return update.mutate({ id: start.id!, expectedUpdatedAt: start.updatedAt, ...changes });
    }
    const checked = validate(targetSchemas.createTargetInput, body);
    if (!checked.ok) return setErrors(foldNested(checked.errors));
    setErrors({});
    create.mutate(checked.data);
  };

  const busy = create.isPending || update.isPending;
  return (
    <Modal
      title={editing ? `Edit ${props.initial!.name}` : "Add target"}
      size="lg"
      onClose={props.onClose}
      dirty={dirty}
      footer={
        <FormModalFooter
          formId="target-form"
          submitLabel={editing ? "Save" : "Add target"}
          busy={busy}
          onCancel={props.onClose}
          testId="target-submit"
        />
      }
    >
      <form id="target-form" onSubmit={submit} noValidate>
        <StaleEditAlert message={stale} onReload={() => props.onReload?.()} />
        <ErrorAlert error={error} />
        <div className="row">
          <div className="col-12 col-md-6">
            <InputField
              id="target-name"
              name="name"
              label="Name"
              errors={errors}
              value={v.name}
              onChange={(value) => set("name", value)}
              autoFocus
            />
          </div>
          <div className="col-8 col-md-4">
            <InputField
              id="target-address"
              name="address"
              label="Address"
              errors={errors}
              value={v.address}
              onChange={(value) => set("address", value)}
              placeholder="e.g. 10.0.0.5 or web-1.example.com"
            />
          </div>
          <div className="col-4 col-md-2">
            <InputField
              id="target-port"
              name="port"
              label="Port"
              errors={errors}
              inputMode="numeric"
              value={portText}
              onChange={setPortText}
            />
          </div>
          <div className="col-12 col-md-6">
            <SelectField
              id="target-os"
              name="osFamily"
              label="OS family"
              errors={errors}
              value={v.osFamily}
              onChange={(value) => set("osFamily", value as TargetFormValue["osFamily"])}
            >
              {OS_FAMILIES.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </SelectField>
          </div>
          <div className="col-12 col-md-6">
            <SelectField
              id="target-jump"
              name="jumpHostId"
              label="Jump host"
              errors={errors}
              value={v.jumpHostId ?? ""}
              onChange={(value) => set("jumpHostId", value || null)}
            >
              <option value="">None (connect directly)</option>
              {(jumpHosts.data?.items ?? [])
                .filter((t) => t.id !== v.id)
                .map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name} ({t.address})
                  </option>
                ))}
            </SelectField>
          </div>
        </div>
        <TextareaField
          id="target-description"
          name="description"
          label="Description"
          errors={errors}
          rows={2}
          value={v.description}
          onChange={(value) => set("description", value)}
        />
        <Field id="target-labels" name="labels" label="Labels" errors={errors}>
          {(invalid) => <LabelsEditor id="target-labels" value={v.labels} onChange={(l) => set("labels", l)} invalid={invalid} />}
        </Field>
        <div className="mb-3">
          <span className="form-label d-block">Groups</span>
          <GroupChecklist idPrefix="target-group" value={v.groupIds} onChange={(ids) => set("groupIds", ids)} />
          {errors.groupIds && <div className="invalid-feedback d-block">{errors.groupIds.join(" ")}</div>}
        </div>
        {!v.credentialHidden && (
          <div className="row">
            <div className="col-12 col-md-6">
              <Field id="target-credential" name="credentialId" label="Credential" errors={errors}>
                {() => (
                  <CredentialSelect
                    id="target-credential"
                    value={v.credentialId ?? ""}
                    onChange={(id) => set("credentialId", id || null)}
                    kinds={["ssh_key", "ssh_password"]}
                  />
                )}
              </Field>
            </div>
            <div className="col-12 col-md-6">
              <Field id="target-become" name="becomeCredentialId" label="Become credential" errors={errors}>
                {() => (
                  <CredentialSelect
                    id="target-become"
                    value={v.becomeCredentialId ?? ""}
                    onChange={(id) => set("becomeCredentialId", id || null)}
                    kinds={["become_password", "ssh_password"]}
                  />
                )}
              </Field>
            </div>
          </div>
        )}
        {!editing && canPin && (
          <InputField
            id="target-fingerprint"
            name="expectedHostKeyFingerprint"
            label="Expected host key fingerprint (optional)"
            errors={errors}
            help="SHA256:… as printed by ssh-keygen -lf. Without it the first key seen is trusted and pinned."
            base="form-control font-monospace"
            value={v.hostKeyFingerprint ?? ""}
            onChange={(value) => set("hostKeyFingerprint", value)}
            placeholder="SHA256:…"
          />
        )}
      </form>
    </Modal>
  );
}
