import type { Command } from "commander";
import type { OpsClient } from "../../client";
import { CliError, withContext } from "../context";
import { formatDate } from "../output";
import { readDefinition } from "./jobs";
import { positiveInt } from "./targets";

type ListOptions = { search?: string; kind?: string; page?: string; pageSize?: string };

/** step-templates list|get|create|update|delete: the step library (templates a job's steps use, versioned). */
export function registerStepTemplateCommands(program: Command): void {
  const templates = program
    .command("step-templates")
    .description("Manage the step library (step templates with fixed config and exposed parameters, versioned on every save)");

  templates
    .command("list")
    .description("List step templates")
    .option("--search <text>", "match name or description")
    .option("--kind <kind>", "only templates of this step kind, e.g. ssh.command")
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "rows per page", "25")
    .action(
      withContext(async (ctx, opts: ListOptions) => {
        const { client } = await ctx.connect();
        const page = await client.automation.stepTemplates.list.query({
          search: opts.search,
          kind: opts.kind as never,
          page: positiveInt("--page", opts.page),
          pageSize: positiveInt("--page-size", opts.pageSize),
        });
        ctx.out.result(page, () => {
          if (page.items.length === 0) return ctx.out.line("No step templates match.");
          ctx.out.table(
            ["NAME", "KIND", "VERSION", "PARAMETERS", "UPDATED", "ID"],
            page.items.map((t) => [t.name, t.kind, String(t.latestVersion), t.params.join(", ") || "-", formatDate(t.updatedAt), t.id]),
          );
          ctx.out.note(`Page ${page.page} of ${Math.max(1, Math.ceil(page.total / page.pageSize))} (${page.total} templates)`);
        });
      }),
    );

  templates
    .command("get")
    .description("Show a step template: its kind, parameters and config")
    .argument("<template>", "template id or exact name")
    .option("--version <n>", "an older version")
    .action(
      withContext(async (ctx, ref: string, opts: { version?: string }) => {
        const { client } = await ctx.connect();
        const t = await client.automation.stepTemplates.get.query({
          id: await resolveTemplate(client, ref),
          version: positiveInt("--version", opts.version),
        });
        const d = t.version.definition;
        ctx.out.result(t, () => {
          ctx.out.line(
            `${d.name}  (${d.kind}, version ${t.version.version} of ${t.latestVersion}, saved ${formatDate(t.version.savedAt)})`,
          );
          if (d.description) ctx.out.line(d.description);
          if (d.params.length)
            ctx.out.line(`parameters: ${d.params.map((p) => `${p.name}${p.required ? "*" : ""} (${p.type})`).join(", ")}`);
          ctx.out.line(JSON.stringify(d.config, null, 2));
        });
      }),
    );

  templates
    .command("create")
    .description("Create a step template from a JSON file")
    .requiredOption("-f, --file <file>", "template definition as JSON (name, kind, config, params)")
    .action(
      withContext(async (ctx, opts: { file: string }) => {
        const { client } = await ctx.connect();
        const { template } = await client.automation.stepTemplates.create.mutate((await readDefinition(opts.file)) as never);
        ctx.out.result(template, () =>
          ctx.out.line(`created step template "${template.version.definition.name}" (${template.id}), version 1`),
        );
      }),
    );

  templates
    .command("update")
    .description("Save a new version of a step template from a JSON file")
    .argument("<template>", "template id or exact name")
    .requiredOption("-f, --file <file>", "template definition as JSON")
    .option("--comment <text>", "why, kept with the version", "")
    .option("--expect-version <n>", "refuse if someone saved a newer version meanwhile")
    .action(
      withContext(async (ctx, ref: string, opts: { file: string; comment: string; expectVersion?: string }) => {
        const { client } = await ctx.connect();
        const saved = await client.automation.stepTemplates.update.mutate({
          id: await resolveTemplate(client, ref),
          comment: opts.comment,
          expectedVersion: positiveInt("--expect-version", opts.expectVersion),
          definition: (await readDefinition(opts.file)) as never,
        });
        ctx.out.result(saved, () =>
          ctx.out.line(
            saved.changed
              ? `saved version ${saved.template.latestVersion}`
              : `no change: version ${saved.template.latestVersion} already says this`,
          ),
        );
      }),
    );

  templates
    .command("delete")
    .description("Delete a step template (refused while a job's latest version uses it)")
    .argument("<template>", "template id or exact name")
    .action(
      withContext(async (ctx, ref: string) => {
        const { client } = await ctx.connect();
        const result = await client.automation.stepTemplates.delete.mutate({ id: await resolveTemplate(client, ref) });
        ctx.out.result(result, () => ctx.out.line(`deleted step template ${ref}`));
      }),
    );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A template id, or the id of the one template with exactly this name (any case). */
async function resolveTemplate(client: OpsClient, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const page = await client.automation.stepTemplates.list.query({ search: ref, pageSize: 200 });
  const hit = page.items.find((t) => t.name.toLowerCase() === ref.toLowerCase());
  if (!hit) throw new CliError(`no step template named "${ref}"`);
  return hit.id;
}
