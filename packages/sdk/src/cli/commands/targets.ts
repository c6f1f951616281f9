import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { Command } from "commander";
import type { OpsClient } from "../../client";
import { CliError, withContext, type CliContext } from "../context";
import { formatDate, type Output } from "../output";
import { createPrompter } from "../prompt";

type ListOptions = { search?: string; label?: string[]; group?: string; status?: string[]; page?: string; pageSize?: string };
type ImportOptions = { format?: string; onExisting: string; yes?: boolean };

const LIST_PAGE_SIZE = 200; // the API's largest page: `targets test all` pages through with it
const POLL_MS = 500;
const STALL_HINT_MS = 30_000;

/** targets list|import|test: the machines OpsConductor reaches over SSH. */
export function registerTargetCommands(program: Command): void {
  const targets = program.command("targets").description("Manage targets (the machines OpsConductor manages)");

  targets
    .command("list")
    .description("List targets")
    .option("--search <text>", "match name, address or description")
    .option("--label <k=v>", "only targets with this label, repeatable", collect)
    .option("--group <id>", "only targets in this group (or its subgroups)")
    .option("--status <status>", "only targets with this status, repeatable", collect)
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "rows per page", "25")
    .action(
      withContext(async (ctx, opts: ListOptions) => {
        const { client } = await ctx.connect();
        const page = await client.assets.targets.list.query({
          search: opts.search,
          labels: opts.label?.map(checkLabel),
          groupId: opts.group,
          status: opts.status as TargetStatus[] | undefined,
          page: positiveInt("--page", opts.page),
          pageSize: positiveInt("--page-size", opts.pageSize),
        });
        ctx.out.result(page, () => {
          if (page.items.length === 0) return ctx.out.line("No targets match.");
          ctx.out.table(
            ["NAME", "ADDRESS", "STATUS", "LAST CHECK", "LABELS"],
            page.items.map((t) => [t.name, `${t.address}:${t.port}`, t.status, formatDate(t.lastCheckedAt), formatLabels(t.labels)]),
          );
          const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
          ctx.out.note(`Page ${page.page} of ${pages} (${page.total} targets)`);
        });
      }),
    );

  targets
    .command("import")
    .description("Import targets from a CSV or JSON file (checks every row first)")
    .argument("<file>", "CSV with a header row, or a JSON array")
    .option("--format <format>", "csv or json (default: from the file extension)")
    .option("--on-existing <mode>", "skip or update targets whose name already exists", "skip")
    .option("--yes", "import without asking")
    .action(withContext(async (ctx, file: string, opts: ImportOptions) => importTargets(ctx, file, opts)));

  targets
    .command("test")
    .description("Test the connection to targets; exit 1 if any fails")
    .argument("<selector>", "a target name, label:k=v, group:NAME or all")
    .action(
      withContext(async (ctx, selector: string) => {
        const { client } = await ctx.connect();
        const targetIds = await resolveSelector(client, selector);
        if (targetIds.length === 0) throw new CliError(`no targets match "${selector}"`);
        const { batchId } = await client.assets.connectionTests.start.mutate({ targetIds });
        const progress = createProgressLine(ctx.out);
        let batch = await client.assets.connectionTests.getBatch.query({ batchId });
        for (;;) {
          progress.update(`${batch.done}/${batch.total} done, ${batch.passed} passed, ${batch.failed} failed`);
          if (batch.done >= batch.total) break;
          await sleep(POLL_MS);
          batch = await client.assets.connectionTests.getBatch.query({ batchId });
        }
        progress.end();
        const failures = batch.tests.filter((t) => t.status === "failed");
        ctx.out.result(batch, () => {
          if (failures.length === 0) return ctx.out.line(`All ${batch.total} targets passed.`);
          ctx.out.table(
            ["TARGET", "CAUSE", "ERROR"],
            failures.map((t) => [t.targetName, t.cause ?? "-", t.error ?? "-"]),
          );
        });
        if (failures.length) throw new CliError(`${failures.length} of ${batch.total} targets failed the connection test`);
      }),
    );
}

async function importTargets(ctx: CliContext, file: string, opts: ImportOptions): Promise<void> {
  const format = importFormat(file, opts.format);
  if (opts.onExisting !== "skip" && opts.onExisting !== "update")
    throw new CliError(`--on-existing must be skip or update, not "${opts.onExisting}"`);
  const onExisting = opts.onExisting;
  let content: string;
  try {
    content = await readFile(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { client } = await ctx.connect();
  const preview = await client.assets.targets.importPreview.mutate({ format, content, onExisting });
  if (preview.rows.length === 0) throw new CliError(`${file} has no rows to import`);
  const bad = preview.rows.filter((r) => !r.ok);
  const count = (action: string) => preview.rows.filter((r) => r.ok && r.action === action).length;
  const toImport = count("create") + count("update");

  const showPreview = () => {
    for (const row of bad) ctx.out.line(`line ${row.line}: ${row.errors.join("; ")}`);
    const parts = [
      `${count("create")} new`,
      `${count("update")} to update`,
      `${count("skip")} existing to skip`,
      `${bad.length} with errors`,
    ];
    if (preview.groupsToCreate.length) parts.push(`new groups: ${preview.groupsToCreate.join(", ")}`);
    ctx.out.line(`${preview.rows.length} rows: ${parts.join(", ")}`);
  };
  // All or nothing: importCommit refuses a file with any bad row too, so there is no point asking.
  if (bad.length) {
    ctx.out.result(preview, showPreview);
    throw new CliError(`${bad.length} ${bad.length === 1 ? "row has" : "rows have"} errors: nothing imported`);
  }
  if (!opts.yes) {
    if (!process.stdin.isTTY) {
      ctx.out.result(preview, showPreview);
      ctx.out.note("Nothing imported: pass --yes to import.");
      return;
    }
    if (!ctx.out.json) showPreview();
    const prompter = createPrompter();
    let answer: string;
    try {
      answer = await prompter.ask(`Import ${toImport} targets? [y/N] `);
    } finally {
      prompter.close();
    }
    if (!/^y(es)?$/i.test(answer.trim())) {
      ctx.out.note("Nothing imported.");
      return;
    }
  } else if (!ctx.out.json) {
    showPreview();
  }

  const committed = await client.assets.targets.importCommit.mutate({ format, content, onExisting });
  ctx.out.result(committed, () =>
    ctx.out.line(`Imported ${committed.created} new, updated ${committed.updated}, skipped ${committed.skipped}.`),
  );
}

/** Target ids for a name, `label:k=v`, `group:NAME` or `all`, paging through the list. */
/** A target name, `label:k=v`, `group:NAME` or `all`, as the ids of every target it names. */
export async function resolveSelector(client: OpsClient, selector: string): Promise<string[]> {
  if (selector === "all") return listAllIds(client, {});
  if (selector.startsWith("label:")) return listAllIds(client, { labels: [checkLabel(selector.slice("label:".length))] });
  if (selector.startsWith("group:")) {
    const name = selector.slice("group:".length);
    const group = findGroup(await client.assets.groups.list.query(), name.toLowerCase());
    if (!group) throw new CliError(`no group named "${name}"`);
    return listAllIds(client, { groupId: group.id });
  }
  // Names are unique ignoring case; search also matches other names, addresses and descriptions.
  const wanted = selector.toLowerCase();
  const ids = await listAllIds(client, { search: selector }, (t) => t.name.toLowerCase() === wanted);
  if (ids.length === 0) throw new CliError(`no target named "${selector}" (use label:k=v, group:NAME or all for several)`);
  return ids;
}

type GroupNode = Awaited<ReturnType<OpsClient["assets"]["groups"]["list"]["query"]>>[number];

/** Group names are unique ignoring case, anywhere in the tree. */
function findGroup(nodes: GroupNode[], lowerName: string): GroupNode | undefined {
  for (const node of nodes) {
    const found = node.name.toLowerCase() === lowerName ? node : findGroup(node.children, lowerName);
    if (found) return found;
  }
  return undefined;
}

type ListFilter = Partial<Pick<ListInput, "search" | "labels" | "groupId">>;
type TargetRow = Awaited<ReturnType<OpsClient["assets"]["targets"]["list"]["query"]>>["items"][number];

async function listAllIds(client: OpsClient, filter: ListFilter, keep: (t: TargetRow) => boolean = () => true): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1, seen = 0; ; page++) {
    const result = await client.assets.targets.list.query({ ...filter, page, pageSize: LIST_PAGE_SIZE });
    ids.push(...result.items.filter(keep).map((t) => t.id));
    seen += result.items.length;
    if (result.items.length === 0 || seen >= result.total) return ids;
  }
}

type ListInput = NonNullable<Parameters<OpsClient["assets"]["targets"]["list"]["query"]>[0]>;
type TargetStatus = NonNullable<ListInput["status"]>[number];

/**
 * One status line: rewritten in place on a terminal, a plain line per change otherwise
 * (logs, CI). On stderr, so stdout keeps only the result; silent with --json.
 */
export function createProgressLine(out: Output, stream: NodeJS.WriteStream = process.stderr) {
  let last = "";
  let changedAt = Date.now();
  let hinted = false;
  return {
    update(text: string) {
      if (out.json) return;
      if (text === last) {
        // Work waits in the queue until a worker takes it; say so rather than look hung.
        if (!hinted && Date.now() - changedAt > STALL_HINT_MS) {
          hinted = true;
          stream.write(`${stream.isTTY ? "\n" : ""}no progress for ${STALL_HINT_MS / 1000}s: are the workers running?\n`);
          if (stream.isTTY) stream.write(text);
        }
        return;
      }
      last = text;
      changedAt = Date.now();
      if (stream.isTTY) stream.write(`\r\x1b[2K${text}`);
      else stream.write(`${text}\n`);
    },
    end() {
      if (!out.json && stream.isTTY && last) stream.write("\n");
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function importFormat(file: string, flag: string | undefined): "csv" | "json" {
  const format = (flag ?? extname(file).slice(1)).toLowerCase();
  if (format === "csv" || format === "json") return format;
  if (flag) throw new CliError(`--format must be csv or json, not "${flag}"`);
  throw new CliError(`cannot tell the format of ${file} from its extension: pass --format csv or --format json`);
}

function checkLabel(raw: string): string {
  if (!/^[^=]+=.*$/.test(raw)) throw new CliError(`a label is key=value, not "${raw}"`);
  return raw;
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(",") : "-";
}

/** Commander collector for a repeatable option: `--label a=1 --label b=2`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function positiveInt(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} must be a whole number of at least 1`);
  return n;
}
