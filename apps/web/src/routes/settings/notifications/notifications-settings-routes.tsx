import { createRoute, lazyRouteComponent, redirect } from "@tanstack/react-router";
import { allows } from "../../../app/access";
import { requiring } from "../../../app/guard";
import { appLayoutRoute } from "../../app-layout";
import { deliveriesListInput, deliveriesSearch } from "./deliveries-search";
import { CHANNELS_LIST_INPUT, RULES_LIST_INPUT, TEMPLATES_LIST_INPUT } from "./notification-lists";

const ChannelsPage = lazyRouteComponent(() => import("./channels-page"), "ChannelsPage");
const DeliveriesPage = lazyRouteComponent(() => import("./deliveries-page"), "DeliveriesPage");
const DeliveryPage = lazyRouteComponent(() => import("./delivery-page"), "DeliveryPage");
const RulesPage = lazyRouteComponent(() => import("./rules-page"), "RulesPage");
const TemplatesPage = lazyRouteComponent(() => import("./templates-page"), "TemplatesPage");

/** Settings > Notifications (issue 8): channels, templates, rules and deliveries; reading needs notifications.read. */
const READ = "notifications.read" as const;

// The template editor renders previews with liquidjs in the browser: its own chunk, loaded when opened.
const NewTemplatePage = lazyRouteComponent(() => import("./template-editor-page"), "NewTemplatePage");
const EditTemplatePage = lazyRouteComponent(() => import("./template-editor-page"), "EditTemplatePage");

export const notificationSettingsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/settings/notifications",
  beforeLoad: () => {
    throw redirect({ to: "/settings/notifications/channels" });
  },
});

export const channelsRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/settings/notifications/channels",
  loader: async ({ context }) => {
    if (!allows(context.me, READ)) return;
    await context.queryClient.ensureQueryData(context.trpc.communication.channels.list.queryOptions(CHANNELS_LIST_INPUT));
  },
  component: requiring(READ, ChannelsPage),
});

export const templatesRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/settings/notifications/templates",
  loader: async ({ context }) => {
    if (!allows(context.me, READ)) return;
    await context.queryClient.ensureQueryData(context.trpc.communication.templates.list.queryOptions(TEMPLATES_LIST_INPUT));
  },
  component: requiring(READ, TemplatesPage),
});

export const newTemplateRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/settings/notifications/templates/new",
  component: requiring(READ, NewTemplatePage),
});

export const templateRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/settings/notifications/templates/$templateId",
  loader: async ({ context, params }) => {
    if (!allows(context.me, READ)) return;
    await context.queryClient.ensureQueryData(context.trpc.communication.templates.get.queryOptions({ id: params.templateId }));
  },
  component: requiring(READ, EditTemplatePage),
});

export const rulesRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/settings/notifications/rules",
  loader: async ({ context }) => {
    if (!allows(context.me, READ)) return;
    await context.queryClient.ensureQueryData(context.trpc.communication.rules.list.queryOptions(RULES_LIST_INPUT));
  },
  component: requiring(READ, RulesPage),
});

export const deliveriesRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/settings/notifications/deliveries",
  validateSearch: deliveriesSearch,
  loaderDeps: ({ search }) => search,
  loader: async ({ context, deps }) => {
    if (!allows(context.me, READ)) return;
    await context.queryClient.ensureQueryData(context.trpc.communication.deliveries.list.queryOptions(deliveriesListInput(deps)));
  },
  component: requiring(READ, DeliveriesPage),
});

export const deliveryRoute = createRoute({
  getParentRoute: () => appLayoutRoute,
  path: "/settings/notifications/deliveries/$deliveryId",
  loader: async ({ context, params }) => {
    if (!allows(context.me, READ)) return;
    await context.queryClient.ensureQueryData(context.trpc.communication.deliveries.get.queryOptions({ id: Number(params.deliveryId) }));
  },
  component: requiring(READ, DeliveryPage),
});

export const notificationSettingsRoutes = [
  notificationSettingsRoute,
  channelsRoute,
  templatesRoute,
  newTemplateRoute,
  templateRoute,
  rulesRoute,
  deliveriesRoute,
  deliveryRoute,
];
