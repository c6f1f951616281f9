import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { describeError, serverFieldErrors, validate, type FieldErrors } from "../../app/errors";
import { identitySchemas } from "../../app/schemas";
import { applyTheme } from "../../app/theme";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { ErrorAlert, Field, inputClass } from "../../components/form";
import { ProfileTabs } from "./profile-tabs";

function supportedTimeZones(current: string): string[] {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return zones.includes(current) ? zones : [current, ...zones];
}

function DetailsForm() {
  const me = useMe();
  const queryClient = useQueryClient();
  const zones = useMemo(() => supportedTimeZones(me.timeZone), [me.timeZone]);
  const [displayName, setDisplayName] = useState(me.displayName);
  const [timeZone, setTimeZone] = useState(me.timeZone);
  const [theme, setTheme] = useState(me.theme);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.identity.profile.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        applyTheme(theme);
        await queryClient.invalidateQueries(trpc.identity.auth.me.queryFilter());
      },
      onError: (e) => {
        setError(describeError(e));
        setErrors(serverFieldErrors(e));
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const checked = validate(identitySchemas.updateProfileInput, { displayName, timeZone, theme });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    update.mutate(checked.data);
  };
  return (
    <form onSubmit={submit} noValidate className="card mb-4">
      <div className="card-body">
        <h2 className="h5 card-title">Details</h2>
        <p className="text-body-secondary small">Signed in as {me.email}</p>
        <ErrorAlert error={error} />
        {saved && <div className="alert alert-success py-2">Saved.</div>}
        <Field id="displayName" label="Display name" errors={errors}>
          {(invalid) => (
            <input id="displayName" className={inputClass(invalid)} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          )}
        </Field>
        <Field id="timeZone" label="Time zone" errors={errors}>
          {(invalid) => (
            <select
              id="timeZone"
              className={inputClass(invalid, "form-select")}
              value={timeZone}
              onChange={(e) => setTimeZone(e.target.value)}
            >
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="theme" label="Theme" errors={errors}>
          {(invalid) => (
            <select
              id="theme"
              className={inputClass(invalid, "form-select")}
              value={theme}
              onChange={(e) => setTheme(e.target.value as "light" | "dark")}
            >
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          )}
        </Field>
        <button type="submit" className="btn btn-primary" disabled={update.isPending}>
          Save
        </button>
      </div>
    </form>
  );
}

function PasswordForm() {
  const [currentPassword, setCurrent] = useState("");
  const [newPassword, setNew] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<number | null>(null);
  const change = useMutation(
    trpc.identity.profile.changePassword.mutationOptions({
      onSuccess: (result) => {
        setDone(result.otherSessionsEnded);
        setCurrent("");
        setNew("");
        setConfirm("");
      },
      onError: (e) => {
        setError(describeError(e));
        setErrors(serverFieldErrors(e));
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    const checked = validate(identitySchemas.changePasswordInput, { currentPassword, newPassword });
    if (!checked.ok) return setErrors(checked.errors);
    if (newPassword !== confirm) return setErrors({ confirm: ["The passwords do not match"] });
    setErrors({});
    change.mutate(checked.data);
  };
  return (
    <form onSubmit={submit} noValidate className="card">
      <div className="card-body">
        <h2 className="h5 card-title">Change password</h2>
        <p className="text-body-secondary small">Changing your password signs you out of every other browser and device.</p>
        <ErrorAlert error={error} />
        {done !== null && (
          <div className="alert alert-success py-2">
            Password changed.{" "}
            {done === 0 ? "You had no other sessions." : `${done} other session${done === 1 ? " was" : "s were"} signed out.`}
          </div>
        )}
        <Field id="currentPassword" label="Current password" errors={errors}>
          {(invalid) => (
            <input
              id="currentPassword"
              type="password"
              autoComplete="current-password"
              className={inputClass(invalid)}
              value={currentPassword}
              onChange={(e) => setCurrent(e.target.value)}
            />
          )}
        </Field>
        <Field id="newPassword" label="New password" errors={errors} help="At least 12 characters.">
          {(invalid) => (
            <input
              id="newPassword"
              type="password"
              autoComplete="new-password"
              className={inputClass(invalid)}
              value={newPassword}
              onChange={(e) => setNew(e.target.value)}
            />
          )}
        </Field>
        <Field id="confirm" label="Confirm new password" errors={errors}>
          {(invalid) => (
            <input
              id="confirm"
              type="password"
              autoComplete="new-password"
              className={inputClass(invalid)}
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="btn btn-primary" disabled={change.isPending}>
          Change password
        </button>
      </div>
    </form>
  );
}

export function ProfilePage() {
  return (
    <div style={{ maxWidth: 640 }}>
      <ProfileTabs />
      <DetailsForm />
      <PasswordForm />
    </div>
  );
}
