import { completeSetupInput } from "@ops/domain/schemas/identity";
import { useMutation, useQuery } from "@tanstack/react-query";
import { createRoute, useNavigate } from "@tanstack/react-router";
import { useState, type FormEvent } from "react";
import { z } from "zod";
import { describeError, useFormErrors, validate } from "../app/errors";
import { trpc } from "../app/trpc";
import { ErrorAlert } from "../components/form";
import { NewPasswordFields } from "../components/new-password-fields";
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
  const { errors, setErrors, error, setError, onError } = useFormErrors();
  const complete = useMutation(
    trpc.identity.setup.complete.mutationOptions({
      onSuccess: () => navigate({ to: "/login", search: { setup: true } }),
      onError,
    }),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const checked = validate(completeSetupInput, { token, password });
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
        <NewPasswordFields
          id="password"
          help="At least 12 characters. A long passphrase is best."
          confirmLabel="Confirm password"
          errors={errors}
          password={password}
          onPassword={setPassword}
          confirm={confirm}
          onConfirm={setConfirm}
        />
        <button type="submit" className="btn btn-primary w-100" disabled={complete.isPending}>
          {complete.isPending ? "Saving…" : "Set password"}
        </button>
      </form>
    </AuthCard>
  );
}
