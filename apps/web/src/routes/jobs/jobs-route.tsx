import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { jobsListInput, jobsSearch } from "./jobs-search";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const JobDetailPage = lazyRouteComponent(() => import("./job-detail-page"), "JobDetailPage");
const EditJobPage = lazyRouteComponent(() => import("./job-editor-page"), "EditJobPage");
const NewJobPage = lazyRouteComponent(() => import("./job-editor-page"), "NewJobPage");
const JobsPage = lazyRouteComponent(() => import("./jobs-page"), "JobsPage");
const LaunchPage = lazyRouteComponent(() => import("./launch/launch-page"), "LaunchPage");

export const jobsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/jobs",
  validateSearch: jobsSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "jobs.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.automation.jobs.list.queryOptions(jobsListInput(deps)));
  },
  component: requiring("jobs.read", JobsPage),
});

export const newJobRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/jobs/new",
  component: requiring("jobs.manage", NewJobPage),
});

const loadJob = async ({ context, params }: { context: typeof jobsRoute.types.allContext; params: { id: string } }) => {
  if (!allows(context.me, "jobs.read")) return;
  await context.queryClient.ensureQueryData(context.trpc.automation.jobs.get.queryOptions({ id: params.id }));
};

export const jobDetailRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/jobs/$id",
  loader: loadJob,
  component: requiring("jobs.read", JobDetailPage),
});

export const jobEditRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/jobs/$id/edit",
  loader: loadJob,
  component: requiring("jobs.manage", EditJobPage),
});

export const jobLaunchRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/jobs/$id/launch",
  loader: loadJob,
  component: requiring("runs.start", LaunchPage),
});
