import { z } from "zod";
import { labelPair } from "@ops/domain/schemas/assets-targets";

export const JOBS_PAGE_SIZE = 25;

export const jobsSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  search: z.string().trim().max(200).optional().catch(undefined),
  labels: z.array(labelPair).max(20).optional().catch(undefined),
});
export type JobsSearch = z.infer<typeof jobsSearch>;

export function jobsListInput(s: JobsSearch) {
  return { page: s.page, pageSize: JOBS_PAGE_SIZE, search: s.search || undefined, labels: s.labels ?? [] };
}

/** The job detail page: which two versions the diff compares. */
export const jobSearch = z.object({
  from: z.number().int().min(1).optional().catch(undefined),
  to: z.number().int().min(1).optional().catch(undefined),
});
