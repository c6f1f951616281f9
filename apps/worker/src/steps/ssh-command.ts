import { streamCommand } from "../ssh/stream-exec";
import { inDirectory, withEnv } from "./remote-files";
import { keepTail, shellQuote, type StepContext, type StepHandler, type StepRunResult } from "./types";

/** A command over the host's SSH connection, in its own process group; become runs it through `sudo -S`. */
export const sshCommand: StepHandler<"ssh.command"> = {
  kind: "ssh.command",
  // The connection and the command's channel open while the start is recorded; the command waits for it.
  preparesBeforeStart: true,
  async run(config, ctx) {
    const c = await requireSsh(ctx)();
    const command = withEnv(inDirectory(config.command, config.workingDirectory), config.env);
    // Through sudo, the remote kill on cancel or timeout goes through sudo too (stream-exec).
    return streamToResult(c.client, command, ctx, {
      pty: config.pty,
      become: config.become ? await ctx.becomePassword() : undefined,
      gate: ctx.started,
      runners: ctx.runners ?? undefined,
    });
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
  opts: { pty?: boolean; become?: string; gate?: Promise<boolean>; runners?: StepContext["runners"] & {} },
): Promise<StepRunResult> {
  let captured = "";
  const r = await streamCommand(client, command, {
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    pty: opts.pty,
    become: opts.become,
    gate: opts.gate,
    runners: opts.runners,
    // The per-step cap is the output buffer's (OPS_STEP_OUTPUT_CAP_BYTES), which says so in the output.
    capBytes: Number.MAX_SAFE_INTEGER,
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
