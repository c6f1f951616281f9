import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ShieldCheck } from "lucide-react";
import { useState, type FormEvent } from "react";
import { useFormErrors, validate } from "../../app/errors";
import { identitySchemas } from "../../app/schemas";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { CopyBox } from "../../components/copy-box";
import { ErrorAlert, Field, inputClass, InputField } from "../../components/form";
import { LoadError, Loading } from "../../components/states";
import { ProfileTabs } from "./profile-tabs";

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="card border-warning mb-4" data-testid="recovery-codes">
      <div className="card-body">
        <h2 className="h5">Save your recovery codes</h2>
        <p className="small">
          Each code signs you in once if you lose your authenticator. They are shown only now: store them in a password manager.
        </p>
        <div className="row row-cols-2 g-1 font-monospace mb-3" style={{ maxWidth: 360 }}>
          {codes.map((c) => (
            <div key={c}>{c}</div>
          ))}
        </div>
        <CopyBox value={codes.join(" ")} />
        <button type="button" className="btn btn-primary mt-3" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}

function Enrol({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const queryClient = useQueryClient();
  const [code, setCode] = useState("");
  const { errors, setErrors, error, setError, onError } = useFormErrors();
  const start = useMutation(trpc.identity.mfa.enrolStart.mutationOptions({ onError }));
  const confirmCode = useMutation(
    trpc.identity.mfa.enrolConfirm.mutationOptions({
      onSuccess: async (result) => {
        onCodes(result.recoveryCodes);
        await queryClient.invalidateQueries(trpc.identity.pathFilter());
      },
      onError,
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const checked = validate(identitySchemas.mfaEnrolConfirmInput, { code });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    confirmCode.mutate(checked.data);
  };
  if (!start.data) {
    return (
      <div>
        <ErrorAlert error={error} />
        <p>Use an authenticator app (1Password, Google Authenticator, Aegis…) to produce a code each time you sign in.</p>
        <button type="button" className="btn btn-primary" disabled={start.isPending} onClick={() => start.mutate()}>
          Set up two-factor authentication
        </button>
      </div>
    );
  }
  const { qrSvg, secret } = start.data;
  return (
    <form onSubmit={submit} noValidate>
      <ErrorAlert error={error} />
      <ol className="ps-3">
        <li className="mb-3">
          Scan this QR code with your authenticator app:
          <div className="my-2">
            {/* The server's SVG as an image: it cannot run script or touch the page. */}
            <img className="qr-box" alt="QR code for your authenticator app" src={"data:image/svg+xml;utf8," + encodeURIComponent(qrSvg)} />
          </div>
          <div className="small text-body-secondary mb-1">Or enter this secret by hand:</div>
          <div style={{ maxWidth: 420 }}>
            <CopyBox value={secret} />
          </div>
        </li>
        <li>
          <Field id="mfa-code" name="code" label="Enter the 6-digit code it shows" errors={errors}>
            {(invalid) => (
              <input
                id="mfa-code"
                className={inputClass(invalid) + " font-monospace"}
                style={{ maxWidth: 180 }}
                inputMode="numeric"
                autoComplete="one-time-code"
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="btn btn-primary" disabled={confirmCode.isPending}>
            Turn on
          </button>
        </li>
      </ol>
    </form>
  );
}

function Manage({ onCodes, codesLeft }: { onCodes: (codes: string[]) => void; codesLeft: number }) {
  const queryClient = useQueryClient();
  const me = useMe();
  const [password, setPassword] = useState("");
  const [replacing, setReplacing] = useState<{ password: string } | null>(null);
  const { errors, setErrors, error, setError, onError } = useFormErrors();
  const disable = useMutation(
    trpc.identity.mfa.disable.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.identity.pathFilter()),
      onError,
    }),
  );
  const regenerate = useMutation(
    trpc.identity.mfa.regenerateRecoveryCodes.mutationOptions({
      onSuccess: async (result) => {
        setReplacing(null);
        onCodes(result.recoveryCodes);
        await queryClient.invalidateQueries(trpc.identity.mfa.pathFilter());
      },
      onError,
    }),
  );
  return (
    <div>
      <ErrorAlert error={error} />
      <div className="d-flex align-items-center gap-2 mb-3 text-success">
        <ShieldCheck /> Two-factor authentication is on.
      </div>
      <InputField
        id="mfa-password"
        name="password"
        label="Your password (needed for the actions below)"
        errors={errors}
        type="password"
        autoComplete="current-password"
        style={{ maxWidth: 320 }}
        value={password}
        onChange={setPassword}
      />
      <div className="card mb-3">
        <div className="card-body">
          <h2 className="h6">Recovery codes</h2>
          <p className="small text-body-secondary">
            {codesLeft} unused code{codesLeft === 1 ? "" : "s"} left. Making new codes makes the old ones stop working; enter your password
            below first.
          </p>
          <button
            type="button"
            className="btn btn-outline-primary"
            disabled={regenerate.isPending}
            onClick={() => {
              setError(null);
              const checked = validate(identitySchemas.mfaRegenerateRecoveryCodesInput, { password });
              if (!checked.ok) return setErrors(checked.errors);
              setReplacing(checked.data);
            }}
          >
            Make new recovery codes
          </button>
        </div>
      </div>
      <form
        className="card"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          const checked = validate(identitySchemas.mfaDisableInput, { password });
          if (!checked.ok) return setErrors(checked.errors);
          disable.mutate(checked.data);
        }}
      >
        <div className="card-body">
          <h2 className="h6">Turn off</h2>
          {me.mfaRequired && (
            <div className="alert alert-warning py-2 small">
              One of your roles requires MFA; you will have to set it up again before you can work.
            </div>
          )}
          <button type="submit" className="btn btn-outline-danger" disabled={disable.isPending}>
            Turn off two-factor authentication
          </button>
        </div>
      </form>
      {replacing && (
        <ConfirmDialog
          title="Replace recovery codes"
          confirmLabel="Make new codes"
          busy={regenerate.isPending}
          onClose={() => setReplacing(null)}
          onConfirm={() => regenerate.mutate(replacing, { onError: () => setReplacing(null) })}
        >
          <p className="mb-0">Replace your recovery codes? The old ones stop working.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

export function MfaPage() {
  const me = useMe();
  const status = useQuery(trpc.identity.mfa.status.queryOptions());
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <div style={{ maxWidth: 720 }}>
      <ProfileTabs />
      {me.mfaRequired && !me.mfaEnabled && (
        <div className="alert alert-info">Your role requires two-factor authentication. Set it up below to continue.</div>
      )}
      {codes && codes.length > 0 && <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />}
      {status.isPending ? (
        <Loading />
      ) : status.isError ? (
        <LoadError error={status.error} />
      ) : status.data.enabled ? (
        <Manage onCodes={setCodes} codesLeft={status.data.recoveryCodesLeft} />
      ) : (
        <Enrol onCodes={setCodes} />
      )}
    </div>
  );
}
