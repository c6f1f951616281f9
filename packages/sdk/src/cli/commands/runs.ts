import type { Command } from "commander";
import { resolveJob } from "./jobs";
import { CliError, withContext } from "../context";
import { formatDate } from "../output";

const RUN_STATES = ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"] as const;
type RunState = (typeof RUN_STATES)[number];
import { followRun as follow, hostNames, printLine } from "./run-follow";
import { collect, positiveInt, resolveSelector } from "./targets";

/** exec (AWX's "Run Command") and runs list|get|cancel|rerun|resume|logs. */
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

  const runs = program.command("runs").description("Inspect, cancel, rerun and resume runs");
  runs
    .command("list")
    .description("List runs, newest first")
    .option("--job <job>", "only runs of this job (id or exact name)")
    .option("--state <state>", "only runs in this state (queued, running, succeeded, failed, cancelled, timed_out), repeatable", collect)
    .option("--mine", "only runs I launched")
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "rows per page", "25")
    .action(
      withContext(async (ctx, opts: { job?: string; state?: string[]; mine?: boolean; page: string; pageSize: string }) => {
        const { client } = await ctx.connect();
        const states = opts.state?.map((s) => {
          if (!RUN_STATES.includes(s as RunState)) throw new CliError(`--state must be one of ${RUN_STATES.join(", ")}, not "${s}"`);
          return s as RunState;
        });
        const page = await client.automation.runs.list.query({
          jobId: opts.job ? await resolveJob(client, opts.job) : undefined,
          state: states,
          launchedBy: opts.mine ? (await client.identity.auth.me.query()).id : undefined,
          page: positiveInt("--page", opts.page),
          pageSize: positiveInt("--page-size", opts.pageSize),
        });
        ctx.out.result(page, () => {
          if (page.items.length === 0) return ctx.out.line("No runs match.");
          ctx.out.table(
            ["CREATED", "TITLE", "STATE", "HOSTS", "FAILED", "BY", "ID"],
            page.items.map((r) => [
              formatDate(r.createdAt),
              r.title,
              r.state,
              String(r.hostsTotal),
              String(r.hostsFailed),
              r.launchedBy?.displayName ?? "-",
              r.id,
            ]),
          );
          ctx.out.note(`Page ${page.page} of ${Math.max(1, Math.ceil(page.total / page.pageSize))} (${page.total} runs)`);
        });
      }),
    );
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
    .command("cancel")
    .description("Stop a run: hosts not started are skipped, running commands are stopped on their targets")
    .argument("<run>", "run id")
    .action(
      withContext(async (ctx, runId: string) => {
        const { client } = await ctx.connect();
        const run = await client.automation.runs.cancel.mutate({ runId });
        const stopping = run.hosts.filter((h) => h.state === "running").length;
        ctx.out.result(run, () =>
          ctx.out.line(
            run.state === "cancelled"
              ? `run ${runId} cancelled`
              : `run ${runId} cancelling: ${stopping} running host${stopping === 1 ? "" : "s"} being stopped`,
          ),
        );
      }),
    );
  for (const verb of ["rerun", "resume"] as const) {
    const cmd = runs
      .command(verb)
      .description(
        verb === "rerun"
          ? "Run a finished run again as a new run, on all its hosts or (--failed) those that did not succeed"
          : "Continue a finished run from its failed step as a new run, without repeating finished host-steps",
      )
      .argument("<run>", "run id");
    if (verb === "rerun") cmd.option("--failed", "only the hosts that did not succeed");
    cmd.option("--follow", "stream the new run's output; exit 1 unless it succeeds").action(
      withContext(async (ctx, runId: string, opts: { failed?: boolean; follow?: boolean }) => {
        const { client } = await ctx.connect();
        const started =
          verb === "rerun"
            ? await client.automation.runs.rerun.mutate({ runId, failedOnly: !!opts.failed })
            : await client.automation.runs.resume.mutate({ runId });
        if (!opts.follow) return ctx.out.result(started, () => ctx.out.line(started.runId));
        ctx.out.note(`run ${started.runId} on ${started.hosts} target${started.hosts === 1 ? "" : "s"}`);
        await follow(ctx, client, started.runId);
      }),
    );
  }
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
