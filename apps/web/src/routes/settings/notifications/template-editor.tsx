import { defaultTemplate } from "@ops/domain/communication/default-templates";
import type { DomainEventType } from "@ops/domain/communication/events";
import { WEBHOOK_PRESETS } from "@ops/domain/schemas/communication-channels";
import { templateInput, type TemplateProblem, type TemplateView } from "@ops/domain/schemas/communication-templates";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useDeferredValue, useMemo, useState, type FormEvent } from "react";
import { useFormErrors, validate } from "../../../app/errors";
import { trpc } from "../../../app/trpc";
import { CodeArea, problemText } from "../../../components/code-area";
import { ConfirmDialog } from "../../../components/confirm-dialog";
import { ErrorAlert, Field, inputClass, InputField } from "../../../components/form";
import { EventTypeSelect } from "../../../components/event-type-picker";
import { showToast } from "../../../components/toasts";
import { formErrors } from "../../../app/form-values";
import { previewTemplate } from "./template-preview";
import { VariablesReference } from "./variables-reference";

type Draft = {
  name: string;
  kind: "email" | "webhook";
  sampleEventType: DomainEventType;
  subject: string;
  bodyText: string;
  bodyHtml: string;
  bodyJson: string;
};
type BodyField = TemplateProblem["field"];
type Preset = (typeof WEBHOOK_PRESETS)[number];

function draftOf(t?: TemplateView): Draft {
  if (t) return { ...t, sampleEventType: t.sampleEventType as DomainEventType };
  return {
    name: "",
    kind: "email",
    sampleEventType: "automation.run.failed",
    ...withDefault("email", "automation.run.failed", "standard"),
  };
}

function withDefault(kind: Draft["kind"], type: DomainEventType, preset: Preset) {
  const d = defaultTemplate(kind, type, preset);
  return { subject: d.subject, bodyText: d.bodyText, bodyHtml: d.bodyHtml, bodyJson: d.bodyJson };
}

/**
 * The template editor: its fields on the left, the message as it would be sent on the
 * right, rendered in the browser as the user types; a problem is shown at its field,
 * line and column.
 */
export function TemplateEditor({ template, canManage }: { template?: TemplateView; canManage: boolean }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [initial] = useState(() => draftOf(template));
  const [draft, setDraft] = useState<Draft>(initial);
  const [preset, setPreset] = useState<Preset>("standard");
  const [confirmDefault, setConfirmDefault] = useState(false);
  const { errors, setErrors, error, setError, onError } = useFormErrors({
    onlyBesideFields: true,
    mapFields: (fields) => formErrors(fields, { strip: "template" }),
  });
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));

  // Deferred: a long body keeps typing smooth while the preview catches up.
  const deferred = useDeferredValue(draft);
  const preview = useMemo(() => previewTemplate(deferred), [deferred]);
  const problemsOf = (field: BodyField) => preview.problems.filter((p) => p.field === field);

  const onSaved = () => {
    void queryClient.invalidateQueries(trpc.communication.templates.pathFilter());
    showToast(`Template "${draft.name.trim()}" saved`);
    void navigate({ to: "/settings/notifications/templates" });
  };
  const create = useMutation(trpc.communication.templates.create.mutationOptions({ onSuccess: onSaved, onError }));
  const update = useMutation(trpc.communication.templates.update.mutationOptions({ onSuccess: onSaved, onError }));
  const busy = create.isPending || update.isPending;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const body = draft.kind === "email" ? { ...draft, bodyJson: "" } : { ...draft, subject: "", bodyText: "", bodyHtml: "" };
    const checked = validate(templateInput, body);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    if (preview.problems.length)
      return setError("Fix the problems shown at the fields first: a template that does not render would send the default instead.");
    if (template) update.mutate({ id: template.id, template: checked.data });
    else create.mutate(checked.data);
  };

  // A kind whose body is still empty starts from its default rather than an error.
  const switchKind = (kind: Draft["kind"]) =>
    setDraft((d) => {
      const empty = kind === "email" ? !d.subject && !d.bodyText && !d.bodyHtml : !d.bodyJson;
      return empty ? { ...d, kind, ...withDefault(kind, d.sampleEventType, preset) } : { ...d, kind };
    });
  const insertDefault = () => {
    setDraft((d) => ({ ...d, ...withDefault(d.kind, d.sampleEventType, preset) }));
    setConfirmDefault(false);
  };
  const hasBody = draft.kind === "email" ? !!(draft.subject || draft.bodyText || draft.bodyHtml) : !!draft.bodyJson;

  return (
    <form onSubmit={submit} noValidate autoComplete="off" data-testid="template-editor">
      <ErrorAlert error={error} />
      <div className="row g-3">
        <div className="col-lg-7">
          <InputField id="template-name" name="name" label="Name" errors={errors} value={draft.name} onChange={set("name")} />
          <div className="row g-2">
            <div className="col-sm-4">
              <Field id="template-kind" name="kind" label="For" errors={errors} value={draft.kind}>
                {(invalid) => (
                  <select
                    id="template-kind"
                    className={inputClass(invalid, "form-select")}
                    value={draft.kind}
                    onChange={(e) => switchKind(e.target.value as Draft["kind"])}
                  >
                    <option value="email">Email</option>
                    <option value="webhook">Webhook</option>
                  </select>
                )}
              </Field>
            </div>
            <div className="col-sm-8">
              <Field
                id="template-event-type"
                name="sampleEventType"
                label="Event type"
                errors={errors}
                value={draft.sampleEventType}
                help="The preview renders this type's sample; rules may use the template for other types too."
              >
                {(invalid) => (
                  <EventTypeSelect
                    id="template-event-type"
                    className={inputClass(invalid, "form-select")}
                    value={draft.sampleEventType}
                    onChange={set("sampleEventType")}
                  />
                )}
              </Field>
            </div>
          </div>
          <div className="d-flex flex-wrap gap-2 align-items-center mb-3">
            {draft.kind === "webhook" && (
              <select
                className="form-select form-select-sm w-auto"
                aria-label="Default body shape"
                value={preset}
                onChange={(e) => setPreset(e.target.value as Preset)}
              >
                {WEBHOOK_PRESETS.map((p) => (
                  <option key={p} value={p}>
                    {p === "standard" ? "Standard Webhooks" : p === "slack" ? "Slack" : "Teams"}
                  </option>
                ))}
              </select>
            )}
            <button
              type="button"
              className="btn btn-sm btn-outline-secondary"
              onClick={() => (hasBody ? setConfirmDefault(true) : insertDefault())}
              data-testid="insert-default"
            >
              Insert default
            </button>
            <span className="small text-body-secondary">The built-in template of this event type, to start from.</span>
          </div>
          {draft.kind === "email" ? (
            <>
              <CodeArea
                id="template-subject"
                label="Subject"
                value={draft.subject}
                onChange={set("subject")}
                problems={problemsOf("subject")}
                rows={2}
              />
              <CodeArea
                id="template-text"
                label="Text body"
                value={draft.bodyText}
                onChange={set("bodyText")}
                problems={problemsOf("bodyText")}
                rows={12}
                testId="template-text"
              />
              <CodeArea
                id="template-html"
                label="HTML body (optional)"
                value={draft.bodyHtml}
                onChange={set("bodyHtml")}
                problems={problemsOf("bodyHtml")}
                rows={8}
                help="Values are HTML-escaped here."
              />
            </>
          ) : (
            <CodeArea
              id="template-json"
              label="JSON body"
              value={draft.bodyJson}
              onChange={set("bodyJson")}
              problems={problemsOf("bodyJson")}
              rows={16}
              help="Must render to JSON: put values through the json filter, e.g. {{ event.title | json }}."
              testId="template-json"
            />
          )}
          {["subject", "bodyText", "bodyHtml", "bodyJson"].map((f) =>
            errors[f] ? (
              <div key={f} className="invalid-feedback d-block" data-testid={`error-${f}`}>
                {errors[f]!.join(" ")}
              </div>
            ) : null,
          )}
          {canManage && (
            <div className="d-flex gap-2 mt-2">
              <button type="submit" className="btn btn-primary" disabled={busy} data-testid="save-template">
                {busy ? "Saving…" : template ? "Save" : "Create template"}
              </button>
              <button
                type="button"
                className="btn btn-outline-secondary"
                onClick={() => navigate({ to: "/settings/notifications/templates" })}
              >
                Cancel
              </button>
            </div>
          )}
        </div>
        <div className="col-lg-5">
          <Preview kind={deferred.kind} preview={preview} />
          <div className="mt-3">
            <VariablesReference eventType={draft.sampleEventType} />
          </div>
        </div>
      </div>
      {confirmDefault && (
        <ConfirmDialog
          title="Replace the template?"
          confirmLabel="Insert default"
          onConfirm={insertDefault}
          onClose={() => setConfirmDefault(false)}
        >
          The default replaces what is in the {draft.kind === "email" ? "subject and bodies" : "JSON body"} now.
        </ConfirmDialog>
      )}
    </form>
  );
}

function Preview({ kind, preview }: { kind: Draft["kind"]; preview: ReturnType<typeof previewTemplate> }) {
  const r = preview.rendered;
  return (
    <div className="card" data-testid="template-preview" data-ok={String(!!r)}>
      <div className="card-header small fw-semibold d-flex justify-content-between">
        <span>Preview</span>
        <span className="text-body-secondary fw-normal">with the sample event</span>
      </div>
      <div className="card-body p-2">
        {!r && (
          <ul className="small text-danger mb-0 ps-3" data-testid="preview-problems">
            {preview.problems.map((p, i) => (
              <li key={i}>
                {FIELD_LABELS[p.field]}, {problemText(p)}
              </li>
            ))}
          </ul>
        )}
        {r && kind === "email" && (
          <>
            <div className="small text-body-secondary">Subject</div>
            <div className="fw-semibold mb-2 text-break" data-testid="preview-subject">
              {r.subject}
            </div>
            <pre className="small bg-body-tertiary border rounded p-2 mb-2 text-wrap" data-testid="preview-text">
              {r.text}
            </pre>
            {r.html && (
              // No scripts, no same-origin: the HTML is the user's, shown as a mail client would.
              <iframe
                title="HTML preview"
                sandbox=""
                srcDoc={r.html}
                className="w-100 border rounded bg-white"
                style={{ height: 240 }}
                data-testid="preview-html"
              />
            )}
          </>
        )}
        {r && kind === "webhook" && (
          <pre className="small bg-body-tertiary border rounded p-2 mb-0" data-testid="preview-json">
            {r.json}
          </pre>
        )}
      </div>
    </div>
  );
}

const FIELD_LABELS: Record<BodyField, string> = { subject: "Subject", bodyText: "Text body", bodyHtml: "HTML body", bodyJson: "JSON body" };
