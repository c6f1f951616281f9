import { SEVERITIES, type Severity } from "@ops/domain/communication/event-meta";
import { subscriptionInput, type SubscriptionView } from "@ops/domain/schemas/communication-rules";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useFormErrors, validate } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { GroupChecklist } from "../../components/asset-pickers";
import { EventTypeChecklist } from "../../components/event-type-picker";
import { ErrorAlert, Field, InputField, SelectField } from "../../components/form";
import { FormModalFooter, Modal } from "../../components/modal";
import { formErrors } from "../../app/form-values";

type Draft = {
  name: string;
  enabled: boolean;
  eventTypes: string[];
  mine: boolean;
  groupIds: string[];
  minSeverity: Severity | "";
  emailChannelId: string;
};

function draftOf(s?: SubscriptionView): Draft {
  return {
    name: s?.name ?? "",
    enabled: s?.enabled ?? true,
    eventTypes: s?.eventTypes ?? ["automation.run.failed", "automation.run.timed_out"],
    mine: s?.mine ?? true,
    groupIds: s?.groupIds ?? [],
    minSeverity: s?.minSeverity ?? "",
    emailChannelId: s?.emailChannelId ?? "",
  };
}

const LISTS = ["groupIds"];

/** A personal subscription: always the bell, optionally an email to me through an email channel. */
export function SubscriptionModal(props: { subscription?: SubscriptionView; onClose: () => void; onSaved: () => void }) {
  const editing = props.subscription;
  const [initial] = useState(() => draftOf(editing));
  const [draft, setDraft] = useState<Draft>(initial);
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const { errors, setErrors, error, setError, onError } = useFormErrors({
    onlyBesideFields: true,
    mapFields: (fields) => formErrors(fields, { strip: "subscription", lists: LISTS }),
  });
  const channels = useQuery(trpc.communication.channels.list.queryOptions({ page: 1, pageSize: 100, kind: "email" }));
  const onSuccess = () => {
    props.onSaved();
    props.onClose();
  };
  const create = useMutation(trpc.communication.subscriptions.create.mutationOptions({ onSuccess, onError }));
  const update = useMutation(trpc.communication.subscriptions.update.mutationOptions({ onSuccess, onError }));
  const busy = create.isPending || update.isPending;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const checked = validate(subscriptionInput, {
      ...draft,
      groupIds: draft.groupIds.length ? draft.groupIds : undefined,
      minSeverity: draft.minSeverity || undefined,
      emailChannelId: draft.emailChannelId || null,
    });
    if (!checked.ok) return setErrors(formErrors(checked.errors, { lists: LISTS }));
    setErrors({});
    if (editing) update.mutate({ id: editing.id, subscription: checked.data });
    else create.mutate(checked.data);
  };

  return (
    <Modal
      title={editing ? `Edit ${editing.name}` : "New subscription"}
      size="lg"
      onClose={props.onClose}
      dirty={JSON.stringify(draft) !== JSON.stringify(initial)}
      footer={
        <FormModalFooter
          formId="subscription-form"
          submitLabel={editing ? "Save" : "Subscribe"}
          busy={busy}
          onCancel={props.onClose}
          testId="subscription-submit"
        />
      }
    >
      <form id="subscription-form" onSubmit={submit} noValidate autoComplete="off">
        <ErrorAlert error={error} />
        <InputField
          id="subscription-name"
          name="name"
          label="Name"
          errors={errors}
          value={draft.name}
          onChange={set("name")}
          autoFocus
          placeholder="My failed runs"
        />
        <div className="form-check form-switch mb-3">
          <input
            id="subscription-enabled"
            type="checkbox"
            role="switch"
            className="form-check-input"
            checked={draft.enabled}
            onChange={(e) => set("enabled")(e.target.checked)}
          />
          <label className="form-check-label" htmlFor="subscription-enabled">
            Enabled
          </label>
        </div>
        <Field id="subscription-event-types" name="eventTypes" label="When" errors={errors} value={draft.eventTypes}>
          {(invalid) => (
            <EventTypeChecklist idPrefix="subscription-event" value={draft.eventTypes} onChange={set("eventTypes")} invalid={invalid} />
          )}
        </Field>
        <div className="form-check mb-3">
          <input
            id="subscription-mine"
            type="checkbox"
            className="form-check-input"
            checked={draft.mine}
            onChange={(e) => set("mine")(e.target.checked)}
          />
          <label className="form-check-label" htmlFor="subscription-mine">
            Only runs I started
          </label>
        </div>
        <Field
          id="subscription-groups"
          name="groupIds"
          label="Only targets in these groups (optional)"
          errors={errors}
          value={draft.groupIds}
        >
          {() => <GroupChecklist idPrefix="subscription-group" value={draft.groupIds} onChange={set("groupIds")} />}
        </Field>
        <SelectField
          id="subscription-min-severity"
          name="minSeverity"
          label="Severity at least"
          errors={errors}
          value={draft.minSeverity}
          onChange={(v) => set("minSeverity")(v as Draft["minSeverity"])}
        >
          <option value="">Any</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </SelectField>
        <SelectField
          id="subscription-email"
          name="emailChannelId"
          label="Also email me"
          errors={errors}
          value={draft.emailChannelId}
          onChange={set("emailChannelId")}
          help="Sent to your account's address through the chosen email channel; the bell rings either way."
        >
          <option value="">No, the bell is enough</option>
          {(channels.data?.items ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              via {c.name}
            </option>
          ))}
        </SelectField>
      </form>
    </Modal>
  );
}
