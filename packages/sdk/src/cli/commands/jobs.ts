import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { OpsClient } from "../../client";
import { CliError, withContext } from "../context";
import { formatDate } from "../output";
import { collect, positiveInt } from "./targets";

type ListOptions = { search?: string; label?: string[]; page?: string; pageSize?: string };

/** jobs list|get|validate|create|update|export|versions|diff|delete: workflows and their versions. */
export function registerJobCommands(program: Command): void {
  const jobs = program.command("jobs").description("Manage jobs (workflows of steps, versioned on every save)");

  jobs
    .command("list")
    .description("List jobs")
    .option("--search <text>", "match name or description")
    .option("--label <k=v>", "only jobs with this label, repeatable", collect)
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "rows per page", "25")
    .action(
      withContext(async (ctx, opts: ListOptions) => {
        const { client } = await ctx.connect();
        const page = await client.automation.jobs.list.query({
          search: opts.search,
          labels: opts.label,
          page: positiveInt("--page", opts.page),
          pageSize: positiveInt("--page-size", opts.pageSize),
        });
        ctx.out.result(page, () => {
          if (page.items.length === 0) return ctx.out.line("No jobs match.");
          ctx.out.table(
            ["NAME", "VERSION", "STEPS", "TARGETS", "UPDATED", "ID"],
            page.items.map((j) => [j.name, String(j.latestVersion), String(j.stepCount), j.selector, formatDate(j.updatedAt), j.id]),
          );
          ctx.out.note(`Page ${page.page} of ${Math.max(1, Math.ceil(page.total / page.pageSize))} (${page.total} jobs)`);
        });
      }),
    );

  jobs
    .command("get")
    .description("Show a job and its steps")
    .argument("<job>", "job id or exact name")
    .option("--version <n>", "an older version")
    .action(
      withContext(async (ctx, ref: string, opts: { version?: string }) => {
        const { client } = await ctx.connect();
        const job = await loadJob(client, ref, opts.version);
        const d = job.version.definition;
        ctx.out.result(job, () => {
          ctx.out.line(`${d.name}  (version ${job.version.version} of ${job.latestVersion}, saved ${formatDate(job.version.savedAt)})`);
          if (d.description) ctx.out.line(d.description);
          ctx.out.line(`parallelism ${d.parallelism}, exclusive ${d.exclusive}${d.timeoutSeconds ? `, timeout ${d.timeoutSeconds}s` : ""}`);
          if (d.params.length)
            ctx.out.line(`parameters: ${d.params.map((p) => `${p.name}${p.required ? "*" : ""} (${p.type})`).join(", ")}`);
          ctx.out.table(
            ["STEP", "KIND", "NAME", "NEXT"],
            d.workflow.steps.map((s) => [
              s.id,
              s.kind,
              s.disabled ? `${s.name} (disabled)` : s.name,
              d.workflow.edges
                .filter((e) => e.from === s.id)
                .map((e) => `${e.on === "success" ? "" : `${e.on}:`}${e.to}`)
                .join(", ") || "-",
            ]),
          );
        });
      }),
    );

  jobs
    .command("validate")
    .description("Check a job file without saving it; exit 1 with every problem if it is invalid")
    .requiredOption("-f, --file <file>", "job definition as JSON (as `jobs export` writes it)")
    .action(
      withContext(async (ctx, opts: { file: string }) => {
        const { client } = await ctx.connect();
        const result = await client.automation.jobs.validate.query({ definition: await readDefinition(opts.file) });
        ctx.out.result(result, () => (result.valid ? ctx.out.line(`${opts.file}: valid`) : undefined));
        if (!result.valid)
          throw new CliError(`${opts.file} is not a valid job:\n${result.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`);
      }),
    );

  jobs
    .command("create")
    .description("Create a job from a JSON file")
    .requiredOption("-f, --file <file>", "job definition as JSON (as `jobs export` writes it)")
    .action(
      withContext(async (ctx, opts: { file: string }) => {
        const { client } = await ctx.connect();
        const definition = await checkedDefinition(client, opts.file);
        const { job } = await client.automation.jobs.create.mutate(definition as never);
        ctx.out.result(job, () => ctx.out.line(`created job "${job.version.definition.name}" (${job.id}), version 1`));
      }),
    );

  jobs
    .command("update")
    .description("Save a new version of a job from a JSON file")
    .argument("<job>", "job id or exact name")
    .requiredOption("-f, --file <file>", "job definition as JSON")
    .option("--comment <text>", "why, kept with the version", "")
    .option("--expect-version <n>", "refuse if someone saved a newer version meanwhile")
    .action(
      withContext(async (ctx, ref: string, opts: { file: string; comment: string; expectVersion?: string }) => {
        const { client } = await ctx.connect();
        const id = await resolveJob(client, ref);
        const definition = await checkedDefinition(client, opts.file);
        const saved = await client.automation.jobs.update.mutate({
          id,
          comment: opts.comment,
          expectedVersion: positiveInt("--expect-version", opts.expectVersion),
          definition: definition as never,
        });
        ctx.out.result(saved, () =>
          ctx.out.line(
            saved.changed ? `saved version ${saved.job.latestVersion}` : `no change: version ${saved.job.latestVersion} already says this`,
          ),
        );
      }),
    );

  jobs
    .command("export")
    .description("Print a job's definition as JSON (edit it and `jobs update -f` it back)")
    .argument("<job>", "job id or exact name")
    .option("--version <n>", "an older version")
    .action(
      withContext(async (ctx, ref: string, opts: { version?: string }) => {
        const { client } = await ctx.connect();
        const job = await loadJob(client, ref, opts.version);
        ctx.out.line(JSON.stringify(job.version.definition, null, 2));
      }),
    );

  jobs
    .command("versions")
    .description("List a job's versions")
    .argument("<job>", "job id or exact name")
    .action(
      withContext(async (ctx, ref: string) => {
        const { client } = await ctx.connect();
        const versions = await client.automation.jobs.versions.query({ id: await resolveJob(client, ref) });
        ctx.out.result(versions, () =>
          ctx.out.table(
            ["VERSION", "SAVED", "BY", "COMMENT"],
            versions.map((v) => [String(v.version), formatDate(v.savedAt), v.savedBy?.displayName ?? "-", v.comment || "-"]),
          ),
        );
      }),
    );

  jobs
    .command("diff")
    .description("Show what changed between two versions")
    .argument("<job>", "job id or exact name")
    .argument("<from>", "older version")
    .argument("<to>", "newer version")
    .action(
      withContext(async (ctx, ref: string, from: string, to: string) => {
        const { client } = await ctx.connect();
        const diff = await client.automation.jobs.diff.query({
          id: await resolveJob(client, ref),
          from: positiveInt("<from>", from)!,
          to: positiveInt("<to>", to)!,
        });
        ctx.out.result(diff, () => {
          if (diff.changes.length === 0) return ctx.out.line(`versions ${from} and ${to} are the same`);
          for (const c of diff.changes) {
            const sign = c.kind === "added" ? "+" : c.kind === "removed" ? "-" : "~";
            const detail =
              c.kind === "changed"
                ? `${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`
                : JSON.stringify(c.kind === "added" ? c.after : c.before);
            ctx.out.line(`${sign} ${c.path}: ${detail}`);
          }
        });
      }),
    );

  jobs
    .command("delete")
    .description("Delete a job (its versions stay for the runs that used them)")
    .argument("<job>", "job id or exact name")
    .action(
      withContext(async (ctx, ref: string) => {
        const { client } = await ctx.connect();
        const result = await client.automation.jobs.delete.mutate({ id: await resolveJob(client, ref) });
        ctx.out.result(result, () => ctx.out.line(`deleted job ${ref}`));
      }),
    );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A job id, or the id of the one job with exactly this name (any case). */
/** A job id, from an id or an exact name (case-insensitive). */
export async function resolveJob(client: OpsClient, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const page = await client.automation.jobs.list.query({ search: ref, pageSize: 200 });
  const hit = page.items.find((j) => j.name.toLowerCase() === ref.toLowerCase());
  if (!hit) throw new CliError(`no job named "${ref}"`);
  return hit.id;
}

/** A job by id or name, at `--version` or its latest. */
async function loadJob(client: OpsClient, ref: string, version: string | undefined) {
  return client.automation.jobs.get.query({ id: await resolveJob(client, ref), version: positiveInt("--version", version) });
}

async function readDefinition(file: string): Promise<unknown> {
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
  });
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CliError(`${file} is not JSON: ${(e as Error).message}`);
  }
}

/** Reads and validates first, so every problem is listed by path rather than the first one only. */
async function checkedDefinition(client: OpsClient, file: string): Promise<unknown> {
  const definition = await readDefinition(file);
  const result = await client.automation.jobs.validate.query({ definition });
  if (!result.valid)
    throw new CliError(`${file} is not a valid job:\n${result.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`);
  return definition;
}
