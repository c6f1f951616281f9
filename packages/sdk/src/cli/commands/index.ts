import type { Command } from "commander";
import { registerAuthCommands } from "./auth";
import { registerDiscoverCommands } from "./discover";
import { registerJobCommands } from "./jobs";
import { registerRunJobCommand } from "./run-job";
import { registerNotificationCommands } from "./notifications";
import { registerOutboundNetworkCommands } from "./outbound-networks";
import { registerRunCommands } from "./runs";
import { registerStepTemplateCommands } from "./step-templates";
import { registerTargetCommands } from "./targets";
import { registerTokenCommands } from "./tokens";
import { registerUserCommands } from "./users";

/** Every command group, one file each; a new domain adds one line here. */
export const commandGroups: ((program: Command) => void)[] = [
  registerAuthCommands,
  registerTokenCommands,
  registerUserCommands,
  registerTargetCommands,
  registerDiscoverCommands,
  registerJobCommands,
  registerStepTemplateCommands,
  registerRunCommands,
  registerRunJobCommand,
  registerOutboundNetworkCommands,
  registerNotificationCommands,
];
