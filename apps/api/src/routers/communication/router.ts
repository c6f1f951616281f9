import { router } from "../../trpc";
import { auditRouter } from "./audit/router";
import { outboundNetworksRouter } from "./outbound-networks/router";

/** communication: audit log today; notifications later. */
export const communicationRouter = router({
  audit: auditRouter,
  outboundNetworks: outboundNetworksRouter,
});
