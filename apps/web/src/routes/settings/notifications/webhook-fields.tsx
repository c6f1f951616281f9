import { WEBHOOK_PRESETS } from "@ops/domain/schemas/communication-channels";
import { Plus, X } from "lucide-react";
import type { FieldErrors } from "../../../app/errors";
import { CredentialSelect } from "../../../components/asset-pickers";
import { Field, inputClass, InputField, SelectField } from "../../../components/form";
import type { ChannelDraft, HeaderDraft } from "./channel-draft";

type Webhook = ChannelDraft["webhook"];

const PRESET_LABELS: Record<Webhook["preset"], string> = {
  standard: "Standard Webhooks (JSON, signed)",
  slack: "Slack incoming webhook",
  teams: "Microsoft Teams incoming webhook",
};

/** The HTTP settings of a webhook channel; secret header values and the signing key come from the vault. */
export function WebhookFields(props: { value: Webhook; onChange: (next: Webhook) => void; errors: FieldErrors }) {
  const { value: w, errors } = props;
  const set =
    <K extends keyof Webhook>(key: K) =>
    (v: Webhook[K]) =>
      props.onChange({ ...w, [key]: v });
  const setHeader = (i: number, patch: Partial<HeaderDraft>) => set("headers")(w.headers.map((h, j) => (i === j ? { ...h, ...patch } : h)));
  return (
    <>
      <InputField
        id="channel-url"
        name="config.url"
        label="URL"
        errors={errors}
        value={w.url}
        onChange={set("url")}
        placeholder="https://hooks.example.com/ops"
      />
      <div className="row g-2">
        <div className="col-sm-4">
          <SelectField
            id="channel-method"
            name="config.method"
            label="Method"
            errors={errors}
            value={w.method}
            onChange={(v) => set("method")(v as Webhook["method"])}
          >
            {["POST", "PUT", "PATCH"].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </SelectField>
        </div>
        <div className="col-sm-8">
          <SelectField
            id="channel-preset"
            name="config.preset"
            label="Body preset"
            errors={errors}
            value={w.preset}
            onChange={(v) => set("preset")(v as Webhook["preset"])}
          >
            {WEBHOOK_PRESETS.map((p) => (
              <option key={p} value={p}>
                {PRESET_LABELS[p]}
              </option>
            ))}
          </SelectField>
        </div>
      </div>
      <fieldset className="mb-3">
        <legend className="form-label fs-6 mb-1">Headers</legend>
        {w.headers.length === 0 && <div className="small text-body-secondary mb-1">No extra headers.</div>}
        {w.headers.map((h, i) => {
          const err = (field: string) => errors[`config.headers.${i}.${field}`];
          const messages = [...(err("name") ?? []), ...(err("value") ?? []), ...(err("credentialId") ?? [])];
          return (
            <div key={i} className="mb-2" data-testid="header-row">
              <div className="d-flex flex-wrap gap-1 align-items-center">
                <input
                  className={inputClass(!!err("name"), "form-control form-control-sm")}
                  style={{ maxWidth: 180 }}
                  aria-label={`Header ${i + 1} name`}
                  placeholder="X-Name"
                  value={h.name}
                  onChange={(e) => setHeader(i, { name: e.target.value })}
                />
                <select
                  className="form-select form-select-sm"
                  style={{ maxWidth: 140 }}
                  aria-label={`Header ${i + 1} value source`}
                  value={h.secret ? "secret" : "plain"}
                  onChange={(e) => setHeader(i, { secret: e.target.value === "secret" })}
                >
                  <option value="plain">Plain value</option>
                  <option value="secret">Vault secret</option>
                </select>
                {h.secret ? (
                  <CredentialSelect
                    id={`header-${i}-credential`}
                    className={inputClass(!!err("credentialId"), "form-select form-select-sm flex-grow-1 w-auto")}
                    value={h.credentialId}
                    onChange={(credentialId) => setHeader(i, { credentialId })}
                    kinds={["generic_secret"]}
                    emptyLabel="Choose a secret…"
                    ariaLabel={`Header ${i + 1} secret`}
                  />
                ) : (
                  <input
                    className={inputClass(!!err("value"), "form-control form-control-sm flex-grow-1 w-auto")}
                    aria-label={`Header ${i + 1} value`}
                    value={h.value}
                    onChange={(e) => setHeader(i, { value: e.target.value })}
                  />
                )}
                <button
                  type="button"
                  className="btn btn-sm btn-outline-secondary"
                  aria-label={`Remove header ${i + 1}`}
                  onClick={() => set("headers")(w.headers.filter((_, j) => j !== i))}
                >
                  <X size={14} />
                </button>
              </div>
              {messages.length > 0 && <div className="invalid-feedback d-block">{messages.join(" ")}</div>}
            </div>
          );
        })}
        <button
          type="button"
          className="btn btn-sm btn-outline-secondary d-flex align-items-center gap-1"
          onClick={() => set("headers")([...w.headers, { name: "", secret: false, value: "", credentialId: "" }])}
          data-testid="add-header"
        >
          <Plus size={14} /> Add header
        </button>
      </fieldset>
      <Field
        id="channel-signing"
        name="config.signingCredentialId"
        label="Signing secret"
        errors={errors}
        value={w.signingCredentialId}
        help="A vault secret holding a Standard Webhooks key (whsec_…); without one, requests go unsigned."
      >
        {(invalid) => (
          <CredentialSelect
            id="channel-signing"
            className={inputClass(invalid, "form-select")}
            value={w.signingCredentialId}
            onChange={set("signingCredentialId")}
            kinds={["generic_secret"]}
            emptyLabel="Unsigned"
          />
        )}
      </Field>
      <InputField
        id="channel-timeout"
        name="config.timeoutMs"
        label="Timeout (ms)"
        errors={errors}
        value={w.timeoutMs}
        onChange={set("timeoutMs")}
        inputMode="numeric"
      />
    </>
  );
}
