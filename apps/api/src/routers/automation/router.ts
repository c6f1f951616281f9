import { router } from "../../trpc";
import { jobsRouter } from "./jobs/router";
import { runsRouter } from "./runs/router";
import { stepTemplatesRouter } from "./step-templates/router";

/** automation: jobs and their versions, runs (ADR 0012); schedules and triggers land next. */
export const automationRouter = router({
  jobs: jobsRouter,
  runs: runsRouter,
  stepTemplates: stepTemplatesRouter,
});
