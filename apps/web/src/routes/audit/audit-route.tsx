import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { allows } from "../../app/access";
import { requiring } from "../../app/guard";
import { appLayoutRoute } from "../app-layout";
import { auditListInput, auditSearch } from "./audit-search";

// Each page is its own chunk, fetched beside its loader (the bundle holds the routes only).
const AuditPage = lazyRouteComponent(() => import("./audit-page"), "AuditPage");

export const auditRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/audit",
  validateSearch: auditSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, "audit.read")) return;
    await context.queryClient.ensureQueryData(context.trpc.communication.audit.list.queryOptions(auditListInput(deps)));
  },
  component: requiring("audit.read", AuditPage),
});
