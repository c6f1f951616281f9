import { SEVERITIES } from "@ops/domain/communication/event-meta";
import { ruleInput, type RuleView } from "@ops/domain/schemas/communication-rules";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { allows } from "../../../app/access";
import { useFormErrors, validate } from "../../../app/errors";
import { trpc } from "../../../app/trpc";
import { useMe } from "../../../app/use-me";
import { GroupChecklist } from "../../../components/asset-pickers";
import { EventTypeChecklist } from "../../../components/event-type-picker";
import { ErrorAlert, Field, InputField, SelectField, TextareaField } from "../../../components/form";
import { FormModalFooter, Modal } from "../../../components/modal";
import { formErrors } from "../../../app/form-values";
import { CHANNELS_LIST_INPUT, TEMPLATES_LIST_INPUT } from "./notification-lists";
import { PickList } from "./pick-list";
import { ruleDraftOf, ruleInputOf, type RuleDraft } from "./rule-draft";

const LISTS = ["recipients", "filters.jobIds", "filters.groupIds", "filters.startedBy"];

/** Create or edit a rule: which events, narrowed by filters, go to which channel (and/or the bell), with which template. */
export function RuleModal(props: { rule?: RuleView; onClose: () => void; onSaved: () => void }) {
  const editing = props.rule;
  const me = useMe();
  const [initial] = useState(() => ruleDraftOf(editing));
  const [draft, setDraft] = useState<RuleDraft>(initial);
  const set =
    <K extends keyof RuleDraft>(key: K) =>
    (value: RuleDraft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const { errors, setErrors, error, setError, onError } = useFormErrors({
    onlyBesideFields: true,
    mapFields: (fields) => formErrors(fields, { strip: "rule", lists: LISTS }),
  });

  const channels = useQuery(trpc.communication.channels.list.queryOptions(CHANNELS_LIST_INPUT));
  const templates = useQuery(trpc.communication.templates.list.queryOptions(TEMPLATES_LIST_INPUT));
  const jobs = useQuery({ ...trpc.automation.jobs.list.queryOptions({ page: 1, pageSize: 200 }), enabled: allows(me, "jobs.read") });
  const users = useQuery({ ...trpc.identity.users.list.queryOptions({ page: 1, pageSize: 200 }), enabled: allows(me, "users.read") });
  const channel = channels.data?.items.find((c) => c.id === draft.channelId);
  const matchingTemplates = (templates.data?.items ?? []).filter((t) => t.kind === channel?.kind);

  const onSuccess = () => {
    props.onSaved();
    props.onClose();
  };
  const create = useMutation(trpc.communication.rules.create.mutationOptions({ onSuccess, onError }));
  const update = useMutation(trpc.communication.rules.update.mutationOptions({ onSuccess, onError }));
  const busy = create.isPending || update.isPending;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const checked = validate(ruleInput, ruleInputOf(draft, channel?.kind));
    if (!checked.ok) return setErrors(formErrors(checked.errors, { lists: LISTS }));
    setErrors({});
    if (editing) update.mutate({ id: editing.id, rule: checked.data });
    else create.mutate(checked.data);
  };

  return (
    <Modal
      title={editing ? `Edit ${editing.name}` : "New rule"}
      size="lg"
      onClose={props.onClose}
      dirty={JSON.stringify(draft) !== JSON.stringify(initial)}
      footer={
        <FormModalFooter
          formId="rule-form"
          submitLabel={editing ? "Save" : "Create rule"}
          busy={busy}
          onCancel={props.onClose}
          testId="rule-submit"
        />
      }
    >
      <form id="rule-form" onSubmit={submit} noValidate autoComplete="off">
        <ErrorAlert error={error} />
        <InputField id="rule-name" name="name" label="Name" errors={errors} value={draft.name} onChange={set("name")} autoFocus />
        <div className="form-check form-switch mb-3">
          <input
            id="rule-enabled"
            type="checkbox"
            role="switch"
            className="form-check-input"
            checked={draft.enabled}
            onChange={(e) => set("enabled")(e.target.checked)}
          />
          <label className="form-check-label" htmlFor="rule-enabled">
            Enabled
          </label>
        </div>
        <Field id="rule-event-types" name="eventTypes" label="When" errors={errors} value={draft.eventTypes}>
          {(invalid) => (
            <EventTypeChecklist idPrefix="rule-event" value={draft.eventTypes} onChange={set("eventTypes")} invalid={invalid} />
          )}
        </Field>

        <fieldset className="border rounded p-2 pb-0 mb-3">
          <legend className="float-none w-auto px-1 fs-6 mb-0">Only when (optional)</legend>
          <div className="form-text mt-0 mb-2">
            Every filter given must match; a filter that does not apply to an event (a job filter on a target event) does not match it.
          </div>
          <div className="row g-2">
            <div className="col-md-6">
              <SelectField
                id="rule-min-severity"
                name="filters.minSeverity"
                label="Severity at least"
                errors={errors}
                value={draft.minSeverity}
                onChange={(v) => set("minSeverity")(v as RuleDraft["minSeverity"])}
              >
                <option value="">Any</option>
                {SEVERITIES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </SelectField>
            </div>
            <div className="col-md-6">
              <InputField
                id="rule-labels"
                name="filters.labels"
                label="Target labels"
                errors={errors}
                value={draft.labels}
                onChange={set("labels")}
                placeholder="env=prod,role!=db"
              />
            </div>
          </div>
          <div className="row g-2">
            <div className="col-md-6">
              <Field id="rule-jobs" name="filters.jobIds" label="Jobs" errors={errors} value={draft.jobIds}>
                {() => (
                  <PickList
                    idPrefix="rule-job"
                    items={(jobs.data?.items ?? []).map((j) => ({ id: j.id, label: j.name }))}
                    value={draft.jobIds}
                    onChange={set("jobIds")}
                    loading={jobs.isLoading}
                    empty={allows(me, "jobs.read") ? "No jobs yet." : "You cannot list jobs."}
                  />
                )}
              </Field>
            </div>
            <div className="col-md-6">
              <Field id="rule-groups" name="filters.groupIds" label="Groups" errors={errors} value={draft.groupIds}>
                {() => <GroupChecklist idPrefix="rule-group" value={draft.groupIds} onChange={set("groupIds")} />}
              </Field>
            </div>
          </div>
          <Field id="rule-started-by" name="filters.startedBy" label="Started by" errors={errors} value={draft.startedBy}>
            {() => (
              <PickList
                idPrefix="rule-user"
                items={(users.data?.items ?? []).map((u) => ({
                  id: u.id,
                  label: u.displayName ? `${u.displayName} (${u.email})` : u.email,
                }))}
                value={draft.startedBy}
                onChange={set("startedBy")}
                loading={users.isLoading}
                empty={allows(me, "users.read") ? "No users." : "You cannot list users."}
              />
            )}
          </Field>
        </fieldset>

        <fieldset className="border rounded p-2 pb-0 mb-3">
          <legend className="float-none w-auto px-1 fs-6 mb-0">Tell</legend>
          <div className="row g-2">
            <div className="col-md-6">
              <SelectField
                id="rule-channel"
                name="channelId"
                label="Channel"
                errors={errors}
                value={draft.channelId}
                onChange={(v) => setDraft((d) => ({ ...d, channelId: v, templateId: "" }))}
              >
                <option value="">No channel (in-app only)</option>
                {(channels.data?.items ?? []).map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.kind})
                  </option>
                ))}
              </SelectField>
            </div>
            <div className="col-md-6">
              <SelectField
                id="rule-template"
                name="templateId"
                label="Template"
                errors={errors}
                value={draft.templateId}
                onChange={set("templateId")}
              >
                <option value="">Built-in default</option>
                {matchingTemplates.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </SelectField>
            </div>
          </div>
          {channel?.kind === "email" && (
            <TextareaField
              id="rule-recipients"
              name="recipients"
              label="Recipients"
              errors={errors}
              value={draft.recipients}
              onChange={set("recipients")}
              rows={2}
              help="One address per line or separated by commas; empty: the channel's default recipients."
            />
          )}
          <div className="form-check mb-3">
            <input
              id="rule-in-app"
              type="checkbox"
              className="form-check-input"
              checked={draft.inApp}
              onChange={(e) => set("inApp")(e.target.checked)}
            />
            <label className="form-check-label" htmlFor="rule-in-app">
              In-app: ring the bell of everyone who can read notifications
            </label>
          </div>
        </fieldset>

        <div className="form-check mb-2">
          <input
            id="rule-throttle"
            type="checkbox"
            className="form-check-input"
            checked={draft.throttle}
            onChange={(e) => set("throttle")(e.target.checked)}
          />
          <label className="form-check-label" htmlFor="rule-throttle">
            Throttle: fold the rest into one digest
          </label>
        </div>
        {draft.throttle && (
          <div className="row g-2">
            <div className="col-6">
              <InputField
                id="rule-throttle-max"
                name="throttle.max"
                label="At most (messages)"
                errors={errors}
                value={draft.throttleMax}
                onChange={set("throttleMax")}
                inputMode="numeric"
              />
            </div>
            <div className="col-6">
              <InputField
                id="rule-throttle-window"
                name="throttle.windowSeconds"
                label="Per window (s)"
                errors={errors}
                value={draft.throttleWindow}
                onChange={set("throttleWindow")}
                inputMode="numeric"
              />
            </div>
          </div>
        )}
      </form>
    </Modal>
  );
}
