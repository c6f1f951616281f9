import { router } from "../../../trpc";
import { list } from "./list";
import { set } from "./set";

/** assets.discoveryNetworks: the networks discovery may scan. */
export const discoveryNetworksRouter = router({ list, set });
