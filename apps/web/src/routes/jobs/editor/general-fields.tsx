import type { FieldErrors } from "../../../app/errors";
import { InputField, TextareaField } from "../../../components/form";
import { LabelsEditor } from "../../../components/labels-editor";
import type { Draft } from "./job-draft";

export function GeneralFields(props: { draft: Draft; errors: FieldErrors; onChange: (patch: Partial<Draft>) => void }) {
  const { draft, errors } = props;
  return (
    <section className="mb-4">
      <InputField
        id="job-name"
        name="name"
        label="Name"
        errors={errors}
        value={draft.name ?? ""}
        onChange={(name) => props.onChange({ name })}
      />
      <TextareaField
        id="job-description"
        name="description"
        label="Description"
        rows={2}
        errors={errors}
        value={draft.description ?? ""}
        onChange={(description) => props.onChange({ description })}
      />
      <div className="mb-3">
        <label className="form-label" htmlFor="job-label-input">
          Labels
        </label>
        <LabelsEditor id="job-label-input" value={draft.labels ?? {}} onChange={(labels) => props.onChange({ labels })} />
      </div>
    </section>
  );
}
