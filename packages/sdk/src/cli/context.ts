import type { Command } from "commander";
import { createOpsClient, type OpsClient } from "../client";
import { readCliEnv, resolveConnection, type CliEnv } from "./config";
import { createOutput, type Output } from "./output";

/** A failure explained to the user in one line; main prints `error: <message>` and exits with `exitCode` (1). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export type CliContext = {
  env: CliEnv;
  out: Output;
  /** The signed-in client and where it points; fails with "not signed in" otherwise. */
  connect(): Promise<{ client: OpsClient; url: string }>;
};

export type GlobalOptions = { json?: boolean };

/** Built per command run, from the global flags the command was called with. */
export function contextFor(command: Command): CliContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const env = readCliEnv();
  return {
    env,
    out: createOutput(!!globals.json),
    async connect() {
      const { url, token } = await resolveConnection(env);
      if (!url || !token) throw new CliError("not signed in: run `opsctl login`");
      return { client: createOpsClient({ url, token }), url };
    },
  };
}

/** Commander action wrapper: hands each command its context as the last argument. */
export function withContext<A extends unknown[]>(run: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async function (this: Command, ...args: unknown[]) {
    // Commander passes (...positional, options, command); the command is always last.
    const command = args[args.length - 1] as Command;
    await run(contextFor(command), ...(args.slice(0, -1) as A));
  };
}
