import type { identitySchemas, LoginOutcome } from "@ops/domain";

type LoginResult = identitySchemas.LoginResult;
import type { Context } from "../../../trpc";

/** Browsers get an HttpOnly cookie; the CLI gets the session token in the body. */
export function toLoginResult(ctx: Context, outcome: LoginOutcome, client: "browser" | "cli"): LoginResult {
  if (outcome.status === "mfa-required") return outcome;
  if (client === "browser") ctx.cookies.set(outcome.token, outcome.cookieExpiresAt);
  return {
    status: outcome.mfaEnrolmentRequired ? "mfa-enrolment-required" : "signed-in",
    sessionToken: client === "cli" ? outcome.token : undefined,
    expiresAt: outcome.expiresAt.toISOString(),
  };
}
