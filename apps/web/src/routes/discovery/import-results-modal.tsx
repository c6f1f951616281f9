import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useFormErrors, validate } from "../../app/errors";
import { targetSchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { CredentialSelect, GroupSelect } from "../../components/asset-pickers";
import { ErrorAlert, Field } from "../../components/form";
import { LabelsEditor, type Labels } from "../../components/labels-editor";
import { Modal } from "../../components/modal";

/** Makes targets of the selected results, with an optional group, labels and credential. */
export function ImportResultsModal(props: {
  scanId: string;
  resultIds: string[];
  onClose: () => void;
  onImported: (created: number, skipped: number) => void;
}) {
  const [groupId, setGroupId] = useState("");
  const [labels, setLabels] = useState<Labels>({ source: "discovery" });
  const [credentialId, setCredentialId] = useState("");
  const { errors, setErrors, error, onError } = useFormErrors();
  const run = useMutation(
    trpc.assets.discovery.importResults.mutationOptions({
      onSuccess: (r) => {
        props.onImported(r.targetIds.length, r.skipped.length);
        props.onClose();
      },
      onError,
    }),
  );
  const submit = () => {
    const checked = validate(targetSchemas.labels, labels);
    if (!checked.ok) return setErrors({ labels: Object.values(checked.errors).flat() });
    setErrors({});
    run.mutate({
      scanId: props.scanId,
      resultIds: props.resultIds,
      groupId: groupId || undefined,
      labels: Object.keys(labels).length ? labels : undefined,
      credentialId: credentialId || undefined,
    });
  };
  return (
    <Modal
      title={`Import ${props.resultIds.length} result(s) as targets`}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" className="btn btn-outline-secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={run.isPending} onClick={submit} data-testid="import-results-submit">
            Import
          </button>
        </>
      }
    >
      <ErrorAlert error={error} />
      <Field id="import-group" name="groupId" label="Group" errors={errors}>
        {() => <GroupSelect id="import-group" value={groupId} onChange={setGroupId} emptyLabel="No group" />}
      </Field>
      <Field id="import-labels" name="labels" label="Labels" errors={errors}>
        {(invalid) => <LabelsEditor id="import-labels" value={labels} onChange={setLabels} invalid={invalid} />}
      </Field>
      <Field id="import-credential" name="credentialId" label="Credential" errors={errors}>
        {() => (
          <CredentialSelect id="import-credential" value={credentialId} onChange={setCredentialId} kinds={["ssh_key", "ssh_password"]} />
        )}
      </Field>
    </Modal>
  );
}
