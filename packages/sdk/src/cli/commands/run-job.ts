import type { Command } from "commander";
import { parseParamArgument } from "@ops/domain/schemas/automation-params";
import { CliError, withContext } from "../context";
import { resolveJob } from "./jobs";
import { followRun, RUN_EXIT_CODES } from "./run-follow";
import { collect, positiveInt, resolveSelector } from "./targets";

/** run JOB: launch a job with parameters, optionally on chosen targets, and follow it. */
export function registerRunJobCommand(program: Command): void {
  program
    .command("run")
    .description(
      `Launch a job; with --follow, stream its output and exit 0 on success, ${Object.entries(RUN_EXIT_CODES)
        .map(([state, code]) => `${code} if ${state.replace("_", " ")}`)
        .join(", ")}`,
    )
    .argument("<job>", "job id or exact name")
    .option("--param <name=value>", "a parameter value, repeatable (lists comma-separated)", collect)
    .option("--targets <selector>", "for jobs that choose targets at launch: a target name, label:k=v, group:NAME or all")
    .option("--version <n>", "run this version instead of the latest")
    .option("--follow", "stream the output until the run ends")
    .action(
      withContext(async (ctx, ref: string, opts: { param?: string[]; targets?: string; version?: string; follow?: boolean }) => {
        const { client } = await ctx.connect();
        const job = await client.automation.jobs.get.query({
          id: await resolveJob(client, ref),
          version: positiveInt("--version", opts.version),
        });
        const defs = job.version.definition.params;
        const params: Record<string, unknown> = {};
        for (const arg of opts.param ?? []) {
          try {
            const [name, value] = parseParamArgument(defs, arg);
            params[name] = value;
          } catch (e) {
            throw new CliError((e as Error).message);
          }
        }
        let targets: { mode: "targets"; targetIds: string[] } | undefined;
        if (opts.targets) {
          const targetIds = await resolveSelector(client, opts.targets);
          if (targetIds.length === 0) throw new CliError(`no targets match "${opts.targets}"`);
          targets = { mode: "targets", targetIds };
        }
        const { runId, hosts } = await client.automation.runs.launch.mutate({
          jobId: job.id,
          version: job.version.version,
          params,
          targets,
        });
        if (!opts.follow) return ctx.out.result({ runId, hosts }, () => ctx.out.line(runId));
        ctx.out.note(
          `run ${runId} of ${job.version.definition.name} (version ${job.version.version}) on ${hosts} host${hosts === 1 ? "" : "s"}`,
        );
        await followRun(ctx, client, runId);
      }),
    );
}
