import { router } from "../../../trpc";
import { allowedNetworksRouter } from "./allowed-networks";
import { cancel } from "./cancel";
import { get } from "./get";
import { importResults } from "./import-results";
import { list } from "./list";
import { results } from "./results";
import { start } from "./start";

/** assets.discovery: scans of networks for SSH servers, their results, and what may be scanned. */
export const discoveryRouter = router({ start, cancel, get, list, results, importResults, allowedNetworks: allowedNetworksRouter });
