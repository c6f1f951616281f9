import { router } from "../../trpc";
import { jobsRouter } from "./jobs/router";

/** automation: jobs and their versions (runs, schedules and triggers land next: ADR 0012). */
export const automationRouter = router({
  jobs: jobsRouter,
});
