import type { Command } from "commander";
import type { OpsClient } from "../../client";
import { followRun } from "../../follow-run";
import { CliError, withContext, type CliContext } from "../context";
import { formatDate } from "../output";
import { positiveInt, resolveSelector } from "./targets";

const DONE = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/** exec (AWX's "Run Command") and runs get|logs. */
export function registerRunCommands(program: Command): void {
  program
    .command("exec")
    .description("Run a command on targets now and stream their output; exit 1 unless every host succeeds")
    .argument("<selector>", "a target name, label:k=v, group:NAME or all")
    .argument("<command...>", "the command (put it after --)")
    .option("--become", "run through sudo with each target's become credential")
    .option("--parallelism <n>", "hosts at once", "50")
    .option("--timeout <seconds>", "stop the command after this long", "3600")
    .option("--no-follow", "print the run id and return at once")
    .action(
      withContext(
        async (
          ctx,
          selector: string,
          words: string[],
          opts: { become?: boolean; parallelism: string; timeout: string; follow: boolean },
        ) => {
          const { client } = await ctx.connect();
          const targetIds = await resolveSelector(client, selector);
          if (targetIds.length === 0) throw new CliError(`no targets match "${selector}"`);
          const { runId } = await client.automation.runs.exec.mutate({
            targetIds,
            command: words.join(" "),
            become: !!opts.become,
            parallelism: positiveInt("--parallelism", opts.parallelism),
            timeoutSeconds: positiveInt("--timeout", opts.timeout),
          });
          if (!opts.follow) return ctx.out.result({ runId }, () => ctx.out.line(runId));
          ctx.out.note(`run ${runId} on ${targetIds.length} target${targetIds.length === 1 ? "" : "s"}`);
          await follow(ctx, client, runId);
        },
      ),
    );

  const runs = program.command("runs").description("Inspect runs");
  runs
    .command("get")
    .description("Show a run and every host's result")
    .argument("<run>", "run id")
    .action(
      withContext(async (ctx, runId: string) => {
        const { client } = await ctx.connect();
        const run = await client.automation.runs.get.query({ runId });
        ctx.out.result(run, () => {
          ctx.out.line(
            `${run.title}: ${run.state} (${run.progress.done}/${run.progress.total} host-steps, started ${formatDate(run.startedAt)})`,
          );
          ctx.out.table(
            ["HOST", "STATE", "EXIT", "LINES", "ERROR"],
            run.hosts.map((h) => {
              const last = h.steps.filter((s) => s.state !== "skipped" && s.state !== "pending").at(-1);
              return [
                h.targetName,
                h.state,
                last?.exitCode?.toString() ?? "-",
                String(h.steps.reduce((n, s) => n + s.outputLines, 0)),
                h.error ?? "-",
              ];
            }),
          );
        });
      }),
    );
  runs
    .command("logs")
    .description("Print a run's output, each line prefixed by its host; --follow waits for the end")
    .argument("<run>", "run id")
    .option("--follow", "keep printing until the run ends, then exit 1 unless it succeeded")
    .action(
      withContext(async (ctx, runId: string, opts: { follow?: boolean }) => {
        const { client } = await ctx.connect();
        if (opts.follow) return follow(ctx, client, runId);
        const names = await hostNames(client, runId);
        for (let after = 0; ;) {
          const page = await client.automation.runs.output.query({ runId, afterSeq: after, limit: 5000 });
          for (const l of page.lines) printLine(ctx, names, l);
          if (page.lines.length === 0) break;
          after = page.lastSeq;
        }
      }),
    );
}

type Line = { seq: number; ordinal: number; stream: "stdout" | "stderr" | "engine"; text: string };

async function hostNames(client: OpsClient, runId: string): Promise<Map<number, string>> {
  const run = await client.automation.runs.get.query({ runId });
  return new Map(run.hosts.map((h) => [h.ordinal, h.targetName]));
}

function printLine(ctx: CliContext, names: Map<number, string>, l: Line) {
  if (ctx.out.json) return ctx.out.line(JSON.stringify({ host: names.get(l.ordinal), ...l }));
  const text = `[${names.get(l.ordinal) ?? l.ordinal}] ${l.text}`;
  if (l.stream === "stdout") ctx.out.line(text);
  else process.stderr.write(text + "\n");
}

/** Streams output (SSE, resumed across drops) until the run ends and every line is printed; fails unless it succeeded. */
async function follow(ctx: CliContext, client: OpsClient, runId: string): Promise<void> {
  const names = await hostNames(client, runId);
  for await (const item of followRun(client, runId)) {
    if (item.type === "line") printLine(ctx, names, item.line);
  }
  const run = await client.automation.runs.get.query({ runId });
  if (!DONE.has(run.state)) throw new CliError(`run ${runId} is ${run.state}`);
  const failed = run.hosts.filter((h) => h.state !== "succeeded");
  ctx.out.note(`run ${run.state}: ${run.hosts.length - failed.length} of ${run.hosts.length} hosts succeeded`);
  if (run.state !== "succeeded") {
    throw new CliError(`run ${run.state}: ${failed.map((h) => `${h.targetName} (${h.error ?? h.state})`).join(", ")}`);
  }
}
