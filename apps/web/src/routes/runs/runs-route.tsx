import { createRoute } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { RunPage } from "./run-page";
import { RunsPage } from "./runs-page";
import { runSearch, runsListInput, runsSearch } from "./runs-search";

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
  loader: async ({ context, params }) => {
    if (!allows(context.me, "runs.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.automation.runs.get.queryOptions({ runId: params.runId }));
  },
  component: requiring("runs.read", RunPage),
});
