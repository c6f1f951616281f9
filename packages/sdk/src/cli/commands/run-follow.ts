import type { OpsClient } from "../../client";
import { followRun as followLive } from "../../follow-run";
import { CliError, type CliContext } from "../context";

const DONE = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/** Exit codes of a followed run that did not succeed: 1 failed, 2 cancelled, 3 timed out. */
export const RUN_EXIT_CODES: Record<string, number> = { failed: 1, cancelled: 2, timed_out: 3 };

type Line = { seq: number; ordinal: number; stream: "stdout" | "stderr" | "engine"; text: string };

export async function hostNames(client: OpsClient, runId: string): Promise<Map<number, string>> {
  const run = await client.automation.runs.get.query({ runId });
  return new Map(run.hosts.map((h) => [h.ordinal, h.targetName]));
}

/** `[host] line`: stdout to stdout, stderr and engine lines to stderr; one JSON object a line with --json. */
export function printLine(ctx: CliContext, names: Map<number, string>, l: Line) {
  if (ctx.out.json) return ctx.out.line(JSON.stringify({ host: names.get(l.ordinal), ...l }));
  const text = `[${names.get(l.ordinal) ?? l.ordinal}] ${l.text}`;
  if (l.stream === "stdout") ctx.out.line(text);
  else process.stderr.write(text + "\n");
}

/**
 * Streams a run's output until it ends and every line is printed (`opsctl exec`, `opsctl
 * run --follow`, `opsctl runs logs --follow`); fails naming the hosts that did not
 * succeed, with the exit code of the run's state (RUN_EXIT_CODES).
 */
export async function followRun(ctx: CliContext, client: OpsClient, runId: string): Promise<void> {
  const names = await hostNames(client, runId);
  // Over SSE, resumed across drops (h/live's followRun).
  for await (const item of followLive(client, runId)) {
    if (item.type === "line") printLine(ctx, names, item.line);
  }
  const run = await client.automation.runs.get.query({ runId });
  if (!DONE.has(run.state)) throw new CliError(`run ${runId} is ${run.state}`);
  const failed = run.hosts.filter((h) => h.state !== "succeeded");
  ctx.out.note(`run ${run.state}: ${run.hosts.length - failed.length} of ${run.hosts.length} hosts succeeded`);
  if (run.state !== "succeeded") {
    throw new CliError(
      `run ${run.state}: ${failed.map((h) => `${h.targetName} (${h.error ?? h.state})`).join(", ")}`,
      RUN_EXIT_CODES[run.state] ?? 1,
    );
  }
}
