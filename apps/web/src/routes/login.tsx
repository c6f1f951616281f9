import { loginInput, loginMfaInput } from "@ops/domain/schemas/identity";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { createRoute, useNavigate, useRouter } from "@tanstack/react-router";
import { useEffect, useState, type FormEvent } from "react";
import { useFormErrors, validate } from "../app/errors";
import { applyTheme, rememberedTheme } from "../app/theme";
import { trpc } from "../app/trpc";
import { ErrorAlert, Field, inputClass, InputField } from "../components/form";
import { AuthCard } from "./auth-card";
import { loginSearch } from "./login-search";
import { rootRoute } from "./root";

export const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/login",
  validateSearch: loginSearch,
  component: LoginPage,
});

function LoginPage() {
  const search = loginRoute.useSearch();
  const router = useRouter();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [challenge, setChallenge] = useState<string | null>(null);
  const { errors, setErrors, error, setError, onError: onFailure } = useFormErrors();

  useEffect(() => applyTheme(rememberedTheme()), []);

  const finish = async (status: "signed-in" | "mfa-enrolment-required") => {
    await queryClient.resetQueries();
    if (status === "mfa-enrolment-required") {
      await navigate({ to: "/profile/mfa" });
      return;
    }
    // The search schema only lets same-origin app paths through (never an open redirect).
    router.history.push(search.redirect ?? "/");
  };

  const login = useMutation(
    trpc.identity.auth.login.mutationOptions({
      onSuccess: async (result) => {
        if (result.status === "mfa-required") {
          setChallenge(result.challenge);
          setError(null);
          return;
        }
        await finish(result.status);
      },
      onError: onFailure,
    }),
  );
  const loginMfa = useMutation(
    trpc.identity.auth.loginMfa.mutationOptions({
      onSuccess: async (result) => {
        if (result.status === "mfa-required") return setError("That code was not accepted. Try again.");
        await finish(result.status);
      },
      onError: onFailure,
    }),
  );

  const submitPassword = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const checked = validate(loginInput, { email, password });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    login.mutate(checked.data);
  };
  const submitCode = (e: FormEvent) => {
    e.preventDefault();
    if (!challenge) return;
    setError(null);
    const checked = validate(loginMfaInput, { challenge, code });
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    loginMfa.mutate(checked.data);
  };

  if (challenge) {
    return (
      <AuthCard title="Two-factor authentication">
        <form onSubmit={submitCode} noValidate>
          <p className="text-body-secondary small">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
          <ErrorAlert error={error} />
          <Field id="code" label="Code" errors={errors}>
            {(invalid) => (
              <input
                id="code"
                className={inputClass(invalid) + " font-monospace"}
                autoComplete="one-time-code"
                inputMode="text"
                autoFocus
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            )}
          </Field>
          <button type="submit" className="btn btn-primary w-100" disabled={loginMfa.isPending}>
            {loginMfa.isPending ? "Checking…" : "Verify"}
          </button>
          <button
            type="button"
            className="btn btn-link w-100 mt-2"
            onClick={() => {
              setChallenge(null);
              setCode("");
              setPassword("");
            }}
          >
            Start over
          </button>
        </form>
      </AuthCard>
    );
  }

  return (
    <AuthCard title="Sign in">
      <form onSubmit={submitPassword} noValidate data-testid="login-form">
        {search.setup && <div className="alert alert-success py-2">Your password is set. Sign in to continue.</div>}
        {search.redirect && !search.setup && (
          <div className="alert alert-info py-2" data-testid="signed-out-notice">
            Sign in to continue where you were.
          </div>
        )}
        <ErrorAlert error={error} />
        <InputField
          id="email"
          label="Email"
          errors={errors}
          type="email"
          autoComplete="username"
          autoFocus
          value={email}
          onChange={setEmail}
        />
        <InputField
          id="password"
          label="Password"
          errors={errors}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
        />
        <button type="submit" className="btn btn-primary w-100" disabled={login.isPending}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthCard>
  );
}
