import { router } from "../../trpc";
import { auditRouter } from "./audit/router";
import { channelsRouter } from "./channels/router";
import { deliveriesRouter } from "./deliveries/router";
import { eventsRouter } from "./events/router";
import { notificationsRouter } from "./notifications/router";
import { outboundNetworksRouter } from "./outbound-networks/router";
import { rulesRouter } from "./rules/router";
import { subscriptionsRouter } from "./subscriptions/router";
import { templatesRouter } from "./templates/router";

/** communication: the audit log, outbound networks, and notifications (ADR 0016). */
export const communicationRouter = router({
  audit: auditRouter,
  outboundNetworks: outboundNetworksRouter,
  notifications: notificationsRouter,
  events: eventsRouter,
  channels: channelsRouter,
  templates: templatesRouter,
  rules: rulesRouter,
  subscriptions: subscriptionsRouter,
  deliveries: deliveriesRouter,
});
