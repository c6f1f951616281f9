import { Command } from "commander";
import { commandGroups } from "./commands";

export function createProgram(): Command {
  const program = new Command("opsctl")
    .description("OpsConductor command line")
    .option("--json", "machine-readable output")
    .showHelpAfterError("(run with --help for usage)");
  for (const register of commandGroups) register(program);
  return program;
}
