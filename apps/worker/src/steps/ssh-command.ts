import { streamCommand } from "../ssh/stream-exec";
import { inDirectory, withEnv } from "./remote-files";
import { keepTail, shellQuote, type StepContext, type StepHandler, type StepRunResult } from "./types";

/** A command over the host's SSH connection; become runs it through `sudo -S`. */
export const sshCommand: StepHandler<"ssh.command"> = {
  kind: "ssh.command",
  async run(config, ctx) {
    const c = await requireSsh(ctx)();
    let command = withEnv(inDirectory(config.command, config.workingDirectory), config.env);
    let stdin: string | undefined;
    if (config.become) {
      stdin = (await ctx.becomePassword()) + "\n";
      command = sudoWrap(command);
    }
    return streamToResult(c.client, command, ctx, { pty: config.pty, stdin });
  },
};

/** `sudo -S` reading the become password from stdin, running the command in a shell. */
export function sudoWrap(command: string): string {
  return `sudo -S -p '' -- sh -c ${shellQuote(command)}`;
}

export function requireSsh(ctx: StepContext) {
  if (!ctx.ssh) throw new Error("this step needs a target's SSH connection");
  return ctx.ssh;
}

/** Runs a command, streaming its lines to the step's output; stdout is captured. */
export async function streamToResult(
  client: Parameters<typeof streamCommand>[0],
  command: string,
  ctx: StepContext,
  opts: { pty?: boolean; stdin?: string },
): Promise<StepRunResult> {
  let captured = "";
  const r = await streamCommand(client, command, {
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    pty: opts.pty,
    stdin: opts.stdin,
    onLine: (stream, text) => {
      if (stream === 1) captured = keepTail(captured, text + "\n");
      ctx.line(stream, text);
    },
  });
  if (r.droppedBytes) ctx.line(3, `[output cap reached: ${r.droppedBytes} more bytes were not kept]`);
  const base = { captured, truncated: r.droppedBytes > 0 };
  if (r.aborted) return { ...base, state: "cancelled", exitCode: null, error: "cancelled: the remote command was stopped" };
  const seconds = Math.round(ctx.timeoutMs / 1000);
  if (r.timedOut) {
    ctx.line(3, `[timed out after ${seconds} s: the remote command was stopped]`);
    return { ...base, state: "timed_out", exitCode: null, error: `timed out after ${seconds} s` };
  }
  if (r.exitCode === 0) return { ...base, state: "succeeded", exitCode: 0, error: null };
  const error = r.exitCode === null ? `killed by signal ${r.signal ?? "unknown"}` : `exit code ${r.exitCode}`;
  return { ...base, state: "failed", exitCode: r.exitCode, error };
}
