import { router } from "../../trpc";
import { connectionTestsRouter } from "./connection-tests/router";
import { credentialsRouter } from "./credentials/router";
import { discoveryRouter } from "./discovery/router";
import { discoveryNetworksRouter } from "./discovery-networks/router";
import { groupsRouter } from "./groups/router";
import { hostKeysRouter } from "./host-keys/router";
import { summaryRouter } from "./summary/router";
import { targetsRouter } from "./targets/router";

/** assets: targets, groups, relationships, the credential vault, connection tests, host keys, discovery and the networks it may scan. */
export const assetsRouter = router({
  targets: targetsRouter,
  groups: groupsRouter,
  credentials: credentialsRouter,
  connectionTests: connectionTestsRouter,
  hostKeys: hostKeysRouter,
  discovery: discoveryRouter,
  discoveryNetworks: discoveryNetworksRouter,
  summary: summaryRouter,
});
