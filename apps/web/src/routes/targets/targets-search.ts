import type { TargetFilters } from "@ops/domain/schemas/assets-targets";
import { z } from "zod";
import { labelPair, TARGET_SORTS, TARGET_STATUSES } from "@ops/domain/schemas/assets-targets";

export { TARGET_SORTS, TARGET_STATUSES };
export type TargetStatus = (typeof TARGET_STATUSES)[number];

export const targetsSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  search: z.string().trim().max(200).optional().catch(undefined),
  labels: z.array(labelPair).max(20).optional().catch(undefined),
  groupId: z.uuid().optional().catch(undefined),
  status: z.array(z.enum(TARGET_STATUSES)).optional().catch(undefined),
  sort: z.enum(TARGET_SORTS).catch("name").default("name"),
  dir: z.enum(["asc", "desc"]).catch("asc").default("asc"),
});
export type TargetsSearch = z.infer<typeof targetsSearch>;
export const TARGETS_PAGE_SIZE = 25;

/** The filter part of the URL, as bulk actions and "test all matching" send it (server-side selection). */
export function targetFiltersOf(s: TargetsSearch): TargetFilters {
  return { search: s.search || undefined, labels: s.labels ?? [], groupId: s.groupId, status: s.status ?? [] };
}

export function hasFilters(s: TargetsSearch): boolean {
  return !!(s.search || s.labels?.length || s.groupId || s.status?.length);
}

export function targetsListInput(s: TargetsSearch) {
  return { page: s.page, pageSize: TARGETS_PAGE_SIZE, ...targetFiltersOf(s), sort: s.sort, dir: s.dir };
}
