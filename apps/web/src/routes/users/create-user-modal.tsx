import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useFormErrors, validate } from "../../app/errors";
import { identitySchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { CopyBox } from "../../components/copy-box";
import { ErrorAlert, InputField } from "../../components/form";
import { Modal } from "../../components/modal";
import { RolePicker } from "./role-picker";

/**
 * The server builds setup links from OPS_PUBLIC_URL, or http://localhost:PORT without it:
 * a link to another origin than this browser's may not reach the user.
 */
function OtherOriginWarning({ link }: { link: string }) {
  let origin: string;
  try {
    origin = new URL(link).origin;
  } catch {
    return null;
  }
  if (origin === window.location.origin) return null;
  return (
    <div className="alert alert-warning small mt-3 mb-0" role="alert" data-testid="setup-link-origin">
      This link points to <code>{origin}</code>, but you are using <code>{window.location.origin}</code>. If the user cannot open it, set{" "}
      <code>OPS_PUBLIC_URL</code> on the server to the address people use (for example <code>{window.location.origin}</code>) and create a
      new link.
    </div>
  );
}

export function CreateUserModal(props: { onClose: () => void; onCreated: () => void }) {
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [roleIds, setRoleIds] = useState<string[]>([]);
  const [mode, setMode] = useState<"password" | "setup-link">("setup-link");
  const [password, setPassword] = useState("");
  const { errors, setErrors, error, setError, onError } = useFormErrors();
  const [setupLink, setSetupLink] = useState<string | null>(null);
  const dirty = !!(email || displayName || password || roleIds.length);

  const create = useMutation(
    trpc.identity.users.create.mutationOptions({
      onSuccess: (result) => {
        props.onCreated();
        if (result.setupLink) setSetupLink(result.setupLink);
        else props.onClose();
      },
      onError,
    }),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const checked = validate(identitySchemas.createUserInput, {
      email,
      displayName,
      roleIds,
      mode,
      password: mode === "password" ? password : undefined,
    });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    create.mutate(checked.data);
  };

  if (setupLink) {
    return (
      <Modal
        title="User created"
        onClose={props.onClose}
        footer={
          <button type="button" className="btn btn-primary" onClick={props.onClose}>
            Done
          </button>
        }
      >
        <p>Send this one-time setup link to the user. It is shown only now; it lets them choose their password.</p>
        <CopyBox value={setupLink} testId="setup-link" />
        <OtherOriginWarning link={setupLink} />
      </Modal>
    );
  }

  return (
    <Modal
      title="New user"
      onClose={props.onClose}
      dirty={dirty}
      footer={
        <>
          <button type="button" className="btn btn-outline-secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="create-user-form"
            className="btn btn-primary"
            disabled={create.isPending}
            data-testid="create-user-submit"
          >
            {create.isPending ? "Creating…" : "Create user"}
          </button>
        </>
      }
    >
      <form id="create-user-form" onSubmit={submit} noValidate>
        <ErrorAlert error={error} />
        <InputField
          id="new-user-email"
          name="email"
          label="Email"
          errors={errors}
          type="email"
          value={email}
          onChange={setEmail}
          autoFocus
        />
        <InputField
          id="new-user-name"
          name="displayName"
          label="Display name"
          errors={errors}
          value={displayName}
          onChange={setDisplayName}
        />
        <div className="mb-3">
          <span className="form-label d-block">Roles</span>
          <RolePicker value={roleIds} onChange={setRoleIds} idPrefix="new-user-role" />
          {errors.roleIds && <div className="invalid-feedback d-block">{errors.roleIds.join(" ")}</div>}
        </div>
        <fieldset className="mb-3">
          <legend className="form-label fs-6">How will they sign in?</legend>
          <div className="form-check">
            <input
              className="form-check-input"
              type="radio"
              id="mode-setup"
              checked={mode === "setup-link"}
              onChange={() => setMode("setup-link")}
            />
            <label className="form-check-label" htmlFor="mode-setup">
              Send a one-time setup link (they choose a password)
            </label>
          </div>
          <div className="form-check">
            <input
              className="form-check-input"
              type="radio"
              id="mode-password"
              checked={mode === "password"}
              onChange={() => setMode("password")}
            />
            <label className="form-check-label" htmlFor="mode-password">
              Set an initial password
            </label>
          </div>
        </fieldset>
        {mode === "password" && (
          <InputField
            id="new-user-password"
            name="password"
            label="Initial password"
            errors={errors}
            help="At least 12 characters."
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={setPassword}
          />
        )}
      </form>
    </Modal>
  );
}
