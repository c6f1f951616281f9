import { CommanderError } from "commander";
import { toOpsError } from "../ops-error";
import { ConfigError } from "./config";
import { CliError } from "./context";
import { createProgram } from "./program";
import { PromptClosed } from "./prompt";

/** One line on stderr and exit 1 for every failure; never a stack, never a token. */
export function describeFailure(error: unknown): string {
  if (error instanceof CliError || error instanceof ConfigError || error instanceof PromptClosed) return error.message;
  const ops = toOpsError(error);
  if (ops.code === "UNAUTHORIZED") return `${ops.toLine()} (the token may have expired or been revoked: run \`opsctl login\`)`;
  if (ops.code === "NETWORK" || ops.code === "UNKNOWN") return ops.message;
  const fields = Object.entries(ops.fieldErrors);
  // A zod message already lists its fields; only domain field errors need adding.
  const detail =
    fields.length && !ops.message.startsWith("Invalid input") ? ` (${fields.map(([f, m]) => `${f}: ${m.join(", ")}`).join("; ")})` : "";
  return `${ops.toLine()}${detail}`;
}

try {
  await createProgram().exitOverride().parseAsync(process.argv);
} catch (error) {
  // Commander already printed its own usage error or help.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 1);
  process.stderr.write(`error: ${describeFailure(error)}\n`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
