import { SMTP_TLS_MODES } from "@ops/domain/schemas/communication-channels";
import type { FieldErrors } from "../../../app/errors";
import { CredentialSelect } from "../../../components/asset-pickers";
import { Field, InputField, SelectField, TextareaField } from "../../../components/form";
import type { ChannelDraft } from "./channel-draft";

type Email = ChannelDraft["email"];

const TLS_LABELS: Record<Email["tls"], string> = {
  none: "None (plain SMTP)",
  starttls: "STARTTLS (required)",
  tls: "TLS from the start (port 465)",
};

/** The SMTP settings of an email channel; the password is a vault credential, never typed here. */
export function EmailFields(props: { value: Email; onChange: (next: Email) => void; errors: FieldErrors }) {
  const { value: e, errors } = props;
  const set =
    <K extends keyof Email>(key: K) =>
    (v: Email[K]) =>
      props.onChange({ ...e, [key]: v });
  return (
    <>
      <div className="row g-2">
        <div className="col-sm-8">
          <InputField
            id="channel-host"
            name="config.host"
            label="SMTP host"
            errors={errors}
            value={e.host}
            onChange={set("host")}
            placeholder="smtp.example.com"
          />
        </div>
        <div className="col-sm-4">
          <InputField
            id="channel-port"
            name="config.port"
            label="Port"
            errors={errors}
            value={e.port}
            onChange={set("port")}
            inputMode="numeric"
          />
        </div>
      </div>
      <SelectField
        id="channel-tls"
        name="config.tls"
        label="TLS"
        errors={errors}
        value={e.tls}
        onChange={(v) => set("tls")(v as Email["tls"])}
      >
        {SMTP_TLS_MODES.map((m) => (
          <option key={m} value={m}>
            {TLS_LABELS[m]}
          </option>
        ))}
      </SelectField>
      <div className="form-check mb-3">
        <input
          id="channel-allow-invalid"
          type="checkbox"
          className="form-check-input"
          checked={e.allowInvalidCertificate}
          onChange={(ev) => set("allowInvalidCertificate")(ev.target.checked)}
        />
        <label className="form-check-label" htmlFor="channel-allow-invalid">
          Allow an invalid certificate (self-signed private relay)
        </label>
      </div>
      <Field
        id="channel-auth"
        name="config.authCredentialId"
        label="Sign in with"
        errors={errors}
        value={e.authCredentialId}
        help="A vault credential with a user name and password; none for an open relay."
      >
        {(invalid) => (
          <CredentialSelect
            id="channel-auth"
            className={invalid ? "form-select is-invalid" : "form-select"}
            value={e.authCredentialId}
            onChange={set("authCredentialId")}
            kinds={["ssh_password", "generic_secret"]}
            emptyLabel="No authentication"
          />
        )}
      </Field>
      <InputField
        id="channel-from"
        name="config.from"
        label="From"
        errors={errors}
        value={e.from}
        onChange={set("from")}
        placeholder="ops@example.com"
        type="email"
      />
      <TextareaField
        id="channel-recipients"
        name="config.defaultRecipients"
        label="Default recipients"
        errors={errors}
        value={e.defaultRecipients}
        onChange={set("defaultRecipients")}
        rows={2}
        help="One address per line or separated by commas; used when a rule names none."
      />
    </>
  );
}
