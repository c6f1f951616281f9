import { createRoute } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { hostsPageInput } from "./host-grid";
import { RunPage } from "./run-page";
import { RunsPage } from "./runs-page";
import { runSearch, runsListInput, runsSearch } from "./runs-search";
import { runTailOptions } from "./use-run-output";

export const runsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/runs",
  validateSearch: runsSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "runs.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.automation.runs.list.queryOptions(runsListInput(deps)));
  },
  component: requiring("runs.read", RunsPage),
});

export const runRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/runs/$runId",
  validateSearch: runSearch,
  loaderDeps: ({ search }) => ({ ordinal: search.ordinal, step: search.step }),
  loader: async ({ context, params, deps }) => {
    if (!allows(context.me, "runs.read")) return;
    // The log's tail and the grid's first page are read beside the run, not after it: the
    // page's first paint waits for the slowest of the three, not for their sum.
    void context.queryClient.prefetchQuery(runTailOptions(params.runId, deps));
    // Only when not held: a filter change re-runs the loader, and must not re-read the grid.
    void context.queryClient.ensureQueryData(context.trpc.automation.runs.hosts.queryOptions(hostsPageInput(params.runId))).catch(() => {});
    await context.queryClient.ensureQueryData(context.trpc.automation.runs.get.queryOptions({ runId: params.runId }));
  },
  component: requiring("runs.read", RunPage),
});
