import type { Command } from "commander";
import { CliError, withContext } from "../context";
import { formatDate } from "../output";

type CreateOptions = { name: string; permission?: string[]; expiresDays?: string };

/** tokens create|list|revoke: the caller's own API tokens. */
export function registerTokenCommands(program: Command): void {
  const tokens = program.command("tokens").description("Manage your API tokens");

  tokens
    .command("create")
    .description("Create an API token (shown once)")
    .requiredOption("--name <name>", "what the token is for")
    .option("--permission <permission...>", "permission to grant, repeatable (default: all of yours)")
    .option("--expires-days <days>", 'days until it expires, or "never"', "90")
    .action(
      withContext(async (ctx, opts: CreateOptions) => {
        const { client } = await ctx.connect();
        const permissions = opts.permission?.length ? opts.permission : (await client.identity.auth.me.query()).permissions;
        const created = await client.identity.tokens.create.mutate({
          name: opts.name,
          // The server validates each name against the permission catalogue.
          permissions: permissions as Parameters<typeof client.identity.tokens.create.mutate>[0]["permissions"],
          expiresInDays: parseExpiry(opts.expiresDays),
        });
        ctx.out.result(created, () => {
          ctx.out.line(created.token);
          ctx.out.note(
            `Token "${created.view.name}" (${created.view.id}), ${created.view.permissions.length} permissions, ` +
              `expires ${formatDate(created.view.expiresAt) === "-" ? "never" : formatDate(created.view.expiresAt)}. ` +
              "Copy it now: it will not be shown again.",
          );
        });
      }),
    );

  tokens
    .command("list")
    .description("List your API tokens")
    .action(
      withContext(async (ctx) => {
        const { client } = await ctx.connect();
        const rows = await client.identity.tokens.list.query();
        ctx.out.result(rows, () => {
          if (rows.length === 0) return ctx.out.line("No API tokens.");
          ctx.out.table(
            ["ID", "NAME", "PREFIX", "PERMS", "EXPIRES", "LAST USED", "STATUS"],
            rows.map((t) => [
              t.id,
              t.name,
              t.prefix,
              String(t.permissions.length),
              t.expiresAt ? formatDate(t.expiresAt) : "never",
              formatDate(t.lastUsedAt),
              tokenStatus(t),
            ]),
          );
        });
      }),
    );

  tokens
    .command("revoke")
    .description("Revoke one of your API tokens")
    .argument("<id>", "token id (see `opsctl tokens list`)")
    .action(
      withContext(async (ctx, id: string) => {
        const { client } = await ctx.connect();
        await client.identity.tokens.revoke.mutate({ id });
        ctx.out.result({ id, revoked: true }, () => ctx.out.line(`Revoked token ${id}`));
      }),
    );
}

function parseExpiry(raw: string | undefined): number | null {
  if (raw === undefined) return 90;
  if (raw === "never") return null;
  const days = Number(raw);
  // Must fail here: NaN would serialise as null, which the API reads as "never expires".
  // The range is left to the server, which names its limits.
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(days))
    throw new CliError(`--expires-days must be a whole number of days or "never", not "${raw}"`);
  return days;
}

function tokenStatus(t: { revokedAt: string | null; expiresAt: string | null }): string {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= Date.now()) return "expired";
  return "active";
}
