import type { ResultView } from "@ops/domain/schemas/assets-discovery";
import { z } from "zod";

export const SCANS_PAGE_SIZE = 20;
export const RESULTS_PAGE_SIZE = 50;

export const discoverySearch = z.object({ page: z.number().int().min(1).catch(1).default(1) });

const MATCHES = ["new", "known", "known_different_key"] as const satisfies readonly ResultView["match"][];

export const scanSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  match: z.enum(MATCHES).optional().catch(undefined),
  openOnly: z.boolean().catch(false).default(false),
});
export type ScanSearch = z.infer<typeof scanSearch>;

export function resultsInput(scanId: string, s: ScanSearch) {
  return { scanId, page: s.page, pageSize: RESULTS_PAGE_SIZE, match: s.match, openOnly: s.openOnly };
}
