import type { Command } from "commander";
import { CliError, withContext } from "../context";
import { formatDate } from "../output";

type ListOptions = { search?: string; page?: string; pageSize?: string };

/** users list: the people who can sign in. */
export function registerUserCommands(program: Command): void {
  const users = program.command("users").description("Manage users");

  users
    .command("list")
    .description("List users")
    .option("--search <text>", "match email or name")
    .option("--page <n>", "page number", "1")
    .option("--page-size <n>", "rows per page", "25")
    .action(
      withContext(async (ctx, opts: ListOptions) => {
        const { client } = await ctx.connect();
        const page = await client.identity.users.list.query({
          search: opts.search,
          page: positiveInt("--page", opts.page),
          pageSize: positiveInt("--page-size", opts.pageSize),
        });
        ctx.out.result(page, () => {
          if (page.items.length === 0) return ctx.out.line(opts.search ? `No users match "${opts.search}".` : "No users.");
          ctx.out.table(
            ["EMAIL", "NAME", "ROLES", "STATUS", "MFA", "CREATED"],
            page.items.map((u) => [
              u.email,
              u.displayName || "-",
              u.roles.map((r) => r.name).join(",") || "-",
              u.disabled ? "disabled" : u.pendingSetup ? "pending setup" : "active",
              u.mfaEnabled ? "yes" : "no",
              formatDate(u.createdAt),
            ]),
          );
          const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
          ctx.out.note(`Page ${page.page} of ${pages} (${page.total} users)`);
        });
      }),
    );
}

function positiveInt(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} must be a whole number of at least 1`);
  return n;
}
