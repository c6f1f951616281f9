import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { startRunReads } from "./run-queries";
import { runSearch, runsListInput, runsSearch } from "./runs-search";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const RunPage = lazyRouteComponent(() => import("./run-page"), "RunPage");
const RunsPage = lazyRouteComponent(() => import("./runs-page"), "RunsPage");

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
    await startRunReads(context.queryClient, params.runId, deps);
  },
  component: requiring("runs.read", RunPage),
});
