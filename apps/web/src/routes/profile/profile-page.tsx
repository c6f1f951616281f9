import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { useFormErrors, validate } from "../../app/errors";
import { identitySchemas } from "../../app/schemas";
import { applyTheme } from "../../app/theme";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { ErrorAlert, InputField, SelectField } from "../../components/form";
import { NewPasswordFields } from "../../components/new-password-fields";
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
  const { errors, setErrors, error, setError, onError } = useFormErrors();
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.identity.profile.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        applyTheme(theme);
        await queryClient.invalidateQueries(trpc.identity.auth.me.queryFilter());
      },
      onError,
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
        <InputField id="displayName" label="Display name" errors={errors} value={displayName} onChange={setDisplayName} />
        <SelectField id="timeZone" label="Time zone" errors={errors} value={timeZone} onChange={setTimeZone}>
          {zones.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </SelectField>
        <SelectField id="theme" label="Theme" errors={errors} value={theme} onChange={(value) => setTheme(value as "light" | "dark")}>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </SelectField>
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
  const { errors, setErrors, error, setError, onError } = useFormErrors();
  const [done, setDone] = useState<number | null>(null);
  const change = useMutation(
    trpc.identity.profile.changePassword.mutationOptions({
      onSuccess: (result) => {
        setDone(result.otherSessionsEnded);
        setCurrent("");
        setNew("");
        setConfirm("");
      },
      onError,
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
        <InputField
          id="currentPassword"
          label="Current password"
          errors={errors}
          type="password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={setCurrent}
        />
        <NewPasswordFields
          id="newPassword"
          help="At least 12 characters."
          confirmLabel="Confirm new password"
          errors={errors}
          password={newPassword}
          onPassword={setNew}
          confirm={confirm}
          onConfirm={setConfirm}
        />
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
