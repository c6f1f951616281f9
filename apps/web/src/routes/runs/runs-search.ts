import { z } from "zod";
import { RUN_STATES } from "@ops/domain/schemas/automation-runs";

export const RUNS_PAGE_SIZE = 25;
export { RUN_STATES };
export type RunState = (typeof RUN_STATES)[number];

export const runsSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  jobId: z.uuid().optional().catch(undefined),
  state: z.array(z.enum(RUN_STATES)).optional().catch(undefined),
  kind: z.enum(["job", "adhoc"]).optional().catch(undefined),
  launchedBy: z.uuid().optional().catch(undefined),
  /** Days as YYYY-MM-DD (the date inputs' format); sent as the day's start and end. */
  from: z.iso.date().optional().catch(undefined),
  to: z.iso.date().optional().catch(undefined),
  search: z.string().trim().max(200).optional().catch(undefined),
});
export type RunsSearch = z.infer<typeof runsSearch>;

export function runsListInput(s: RunsSearch) {
  return {
    page: s.page,
    pageSize: RUNS_PAGE_SIZE,
    jobId: s.jobId,
    state: s.state?.length ? s.state : undefined,
    kind: s.kind,
    launchedBy: s.launchedBy,
    from: s.from ? new Date(`${s.from}T00:00:00`).toISOString() : undefined,
    to: s.to ? new Date(`${s.to}T23:59:59.999`).toISOString() : undefined,
    search: s.search || undefined,
  };
}

export { runSearch, type RunSearch } from "./run-inputs";
