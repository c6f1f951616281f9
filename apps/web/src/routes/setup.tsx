import { useMutation, useQuery } from "@tanstack/react-query";
import { createRoute, useNavigate } from "@tanstack/react-router";
import { useState, type FormEvent } from "react";
import { z } from "zod";
import { describeError, serverFieldErrors, validate, type FieldErrors } from "../app/errors";
import { identitySchemas } from "../app/schemas";
import { trpc } from "../app/trpc";
import { ErrorAlert, Field, inputClass } from "../components/form";
import { Loading } from "../components/states";
import { AuthCard } from "./auth-card";
import { rootRoute } from "./root";

export const setupRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/setup",
  validateSearch: z.object({ token: z.string().catch("") }),
  component: SetupPage,
});

function SetupPage() {
  const { token } = setupRoute.useSearch();
  const navigate = useNavigate();
  const inspect = useQuery({ ...trpc.identity.setup.inspect.queryOptions({ token }), enabled: !!token, retry: false });
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const complete = useMutation(
    trpc.identity.setup.complete.mutationOptions({
      onSuccess: () => navigate({ to: "/login", search: { setup: true } }),
      onError: (e) => {
        setError(describeError(e));
        setErrors(serverFieldErrors(e));
      },
    }),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const checked = validate(identitySchemas.completeSetupInput, { token, password });
    if (!checked.ok) return setErrors(checked.errors);
    if (password !== confirm) return setErrors({ confirm: ["The passwords do not match"] });
    setErrors({});
    complete.mutate(checked.data);
  };

  if (!token) {
    return (
      <AuthCard title="Set up your account">
        <div className="alert alert-warning">This link is incomplete. Ask your administrator for a new setup link.</div>
      </AuthCard>
    );
  }
  if (inspect.isPending)
    return (
      <AuthCard title="Set up your account">
        <Loading />
      </AuthCard>
    );
  if (inspect.isError) {
    return (
      <AuthCard title="Set up your account">
        <div className="alert alert-danger">{describeError(inspect.error)}</div>
        <p className="small text-body-secondary">Setup links work once and expire. Ask your administrator for a new one.</p>
      </AuthCard>
    );
  }
  const info = inspect.data;
  return (
    <AuthCard title="Choose a password">
      <form onSubmit={submit} noValidate>
        {info.email && (
          <p className="text-body-secondary">
            Setting up <strong>{info.email}</strong>
          </p>
        )}
        <ErrorAlert error={error} />
        <Field id="password" label="New password" errors={errors} help="At least 12 characters. A long passphrase is best.">
          {(invalid) => (
            <input
              id="password"
              type="password"
              autoComplete="new-password"
              className={inputClass(invalid)}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Field id="confirm" label="Confirm password" errors={errors}>
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
        <button type="submit" className="btn btn-primary w-100" disabled={complete.isPending}>
          {complete.isPending ? "Saving…" : "Set password"}
        </button>
      </form>
    </AuthCard>
  );
}
