import { router } from "../../trpc";
import { authRouter } from "./auth/router";
import { mfaRouter } from "./mfa/router";
import { profileRouter } from "./profile/router";
import { rolesRouter } from "./roles/router";
import { sessionsRouter } from "./sessions/router";
import { setupRouter } from "./setup/router";
import { tokensRouter } from "./tokens/router";
import { usersRouter } from "./users/router";

/** identity: users, sessions, API tokens, roles and permissions, MFA, preferences. */
export const identityRouter = router({
  auth: authRouter,
  profile: profileRouter,
  sessions: sessionsRouter,
  mfa: mfaRouter,
  setup: setupRouter,
  users: usersRouter,
  roles: rolesRouter,
  tokens: tokensRouter,
});
