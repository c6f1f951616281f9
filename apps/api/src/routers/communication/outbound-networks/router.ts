import { router } from "../../../trpc";
import { list } from "./list";
import { set } from "./set";

/** communication.outboundNetworks: networks http.request steps and webhooks may reach although the outbound rules refuse them. */
export const outboundNetworksRouter = router({ list, set });
