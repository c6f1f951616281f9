import { router } from "../../trpc";
import { authRouter } from "./auth/router";

export const identityRouter = router({
  auth: authRouter,
});
