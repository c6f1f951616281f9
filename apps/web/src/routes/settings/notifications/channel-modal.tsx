import type { ChannelView } from "@ops/domain/schemas/communication-channels";
import { channelInput } from "@ops/domain/schemas/communication-channels";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { allows } from "../../../app/access";
import { useFormErrors, validate } from "../../../app/errors";
import { trpc } from "../../../app/trpc";
import { useMe } from "../../../app/use-me";
import { ErrorAlert, InputField } from "../../../components/form";
import { Modal } from "../../../components/modal";
import { channelDraftOf, channelInputOf, newChannelDraft, type ChannelDraft } from "./channel-draft";
import { ChannelTest } from "./channel-test";
import { EmailFields } from "./email-fields";
import { formErrors } from "../../../app/form-values";
import { WebhookFields } from "./webhook-fields";

const LISTS = ["config.defaultRecipients"];

/**
 * Create or edit a channel: email (SMTP) or webhook, and its retry policy. The shared
 * zod contract checks the form before it is sent; the server's messages land beside
 * the same fields.
 */
export function ChannelModal(props: { channel?: ChannelView; onClose: () => void; onSaved: () => void }) {
  const editing = props.channel;
  const me = useMe();
  const [initial] = useState(() => (editing ? channelDraftOf(editing) : newChannelDraft()));
  const [draft, setDraft] = useState<ChannelDraft>(initial);
  const { errors, setErrors, error, setError, onError } = useFormErrors({
    onlyBesideFields: true,
    mapFields: (fields) => formErrors(fields, { strip: "channel", lists: LISTS }),
  });
  const onSuccess = () => {
    props.onSaved();
    props.onClose();
  };
  const create = useMutation(trpc.communication.channels.create.mutationOptions({ onSuccess, onError }));
  const update = useMutation(trpc.communication.channels.update.mutationOptions({ onSuccess, onError }));
  const busy = create.isPending || update.isPending;
  const dirty = JSON.stringify(draft) !== JSON.stringify(initial);
  const webhookDenied = draft.kind === "webhook" && !allows(me, "webhooks.manage");

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const checked = validate(channelInput, channelInputOf(draft));
    if (!checked.ok) return setErrors(formErrors(checked.errors, { lists: LISTS }));
    setErrors({});
    if (editing) update.mutate({ id: editing.id, channel: checked.data });
    else create.mutate(checked.data);
  };

  return (
    <Modal
      title={editing ? `Edit ${editing.name}` : "New channel"}
      size="lg"
      onClose={props.onClose}
      dirty={dirty}
      footer={
        <>
          <button type="button" className="btn btn-outline-secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="channel-form"
            className="btn btn-primary"
            disabled={busy || webhookDenied}
            data-testid="channel-submit"
          >
            {busy ? "Saving…" : editing ? "Save" : "Create channel"}
          </button>
        </>
      }
    >
      <form id="channel-form" onSubmit={submit} noValidate autoComplete="off">
        <ErrorAlert error={error} />
        {!editing && (
          <div className="btn-group mb-3" role="radiogroup" aria-label="Kind">
            {(["webhook", "email"] as const).map((k) => (
              <button
                key={k}
                type="button"
                role="radio"
                aria-checked={draft.kind === k}
                className={`btn btn-sm ${draft.kind === k ? "btn-primary" : "btn-outline-primary"}`}
                onClick={() => setDraft({ ...draft, kind: k })}
                data-testid={`channel-kind-${k}`}
              >
                {k === "email" ? "Email" : "Webhook"}
              </button>
            ))}
          </div>
        )}
        {webhookDenied && <div className="alert alert-warning py-2 small">Webhook channels also need the webhooks.manage permission.</div>}
        <InputField
          id="channel-name"
          name="name"
          label="Name"
          errors={errors}
          value={draft.name}
          onChange={(name) => setDraft({ ...draft, name })}
          autoFocus
        />
        <div className="form-check form-switch mb-3">
          <input
            id="channel-enabled"
            type="checkbox"
            className="form-check-input"
            role="switch"
            checked={draft.enabled}
            onChange={(e) => setDraft({ ...draft, enabled: e.target.checked })}
          />
          <label className="form-check-label" htmlFor="channel-enabled">
            Enabled
          </label>
        </div>
        {draft.kind === "email" ? (
          <EmailFields value={draft.email} onChange={(email) => setDraft({ ...draft, email })} errors={errors} />
        ) : (
          <WebhookFields value={draft.webhook} onChange={(webhook) => setDraft({ ...draft, webhook })} errors={errors} />
        )}
        <fieldset className="border rounded p-2 pb-0 mb-3">
          <legend className="float-none w-auto px-1 fs-6 mb-0">Retry policy</legend>
          <div className="form-text mt-0 mb-2">
            Failed sends are retried with growing waits, in order; a message is given up after both the attempts and the window are used.
          </div>
          <div className="row g-2">
            <div className="col-sm-4">
              <InputField
                id="channel-max-attempts"
                name="retry.maxAttempts"
                label="Attempts"
                errors={errors}
                value={draft.retry.maxAttempts}
                onChange={(maxAttempts) => setDraft({ ...draft, retry: { ...draft.retry, maxAttempts } })}
                inputMode="numeric"
              />
            </div>
            <div className="col-sm-4">
              <InputField
                id="channel-max-backoff"
                name="retry.maxBackoffSeconds"
                label="Longest wait (s)"
                errors={errors}
                value={draft.retry.maxBackoffSeconds}
                onChange={(maxBackoffSeconds) => setDraft({ ...draft, retry: { ...draft.retry, maxBackoffSeconds } })}
                inputMode="numeric"
              />
            </div>
            <div className="col-sm-4">
              <InputField
                id="channel-window"
                name="retry.windowSeconds"
                label="Keep trying for (s)"
                errors={errors}
                value={draft.retry.windowSeconds}
                onChange={(windowSeconds) => setDraft({ ...draft, retry: { ...draft.retry, windowSeconds } })}
                inputMode="numeric"
              />
            </div>
          </div>
        </fieldset>
        {editing && (
          <div className="mb-2">
            <div className="form-label">Test</div>
            <ChannelTest channelId={editing.id} kind={editing.kind} disabled={dirty} />
            {dirty && <div className="form-text">Save first: the test uses the stored settings.</div>}
          </div>
        )}
      </form>
    </Modal>
  );
}
