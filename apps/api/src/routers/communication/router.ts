import { router } from "../../trpc";
import { auditRouter } from "./audit/router";

/** communication: audit log today; notifications later. */
export const communicationRouter = router({
  audit: auditRouter,
});
