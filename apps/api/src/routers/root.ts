import { router } from "../trpc";
import { assetsRouter } from "./assets/router";
import { automationRouter } from "./automation/router";
import { communicationRouter } from "./communication/router";
import { identityRouter } from "./identity/router";

/** Procedure paths are `<domain>.<area>.<verb>` (issue #2, point 9). */
export const appRouter = router({
  identity: identityRouter,
  assets: assetsRouter,
  automation: automationRouter,
  communication: communicationRouter,
});

export type AppRouter = typeof appRouter;
