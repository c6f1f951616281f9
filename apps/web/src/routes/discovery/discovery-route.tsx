import { z } from "zod";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import type { ResultView } from "@ops/domain/schemas/assets-discovery";
import { createRoute } from "@tanstack/react-router";
import { appLayoutRoute } from "../app-layout";
import { DiscoveryPage } from "./discovery-page";
import { ScanPage } from "./scan-page";

export const SCANS_PAGE_SIZE = 20;
export const RESULTS_PAGE_SIZE = 50;

export const discoverySearch = z.object({ page: z.number().int().min(1).catch(1).default(1) });

export const discoveryRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/discovery",
  validateSearch: discoverySearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "discovery.read")) return;
    await context.queryClient.ensureQueryData(
      context.trpc.assets.discovery.list.queryOptions({ page: deps.page, pageSize: SCANS_PAGE_SIZE }),
    );
  },
  component: requiring("discovery.read", DiscoveryPage),
});

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

export const scanRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/discovery/$scanId",
  validateSearch: scanSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, params }) => {
    if (!allows(context.me, "discovery.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.assets.discovery.get.queryOptions({ scanId: params.scanId }));
  },
  component: requiring("discovery.read", ScanPage),
});
