import { router } from "../../../trpc";
import { cancel } from "./cancel";
import { get } from "./get";
import { importResults } from "./import-results";
import { list } from "./list";
import { listResults } from "./list-results";
import { start } from "./start";

/** assets.discovery: scans of networks for SSH servers and their results; what may be scanned is assets.discoveryNetworks. */
export const discoveryRouter = router({ start, cancel, get, list, listResults, importResults });
