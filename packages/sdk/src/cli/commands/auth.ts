import { hostname } from "node:os";
import type { Command } from "commander";
import { createOpsClient } from "../../client";
import { toOpsError } from "../../ops-error";
import { readSavedConfig, writeSavedConfig } from "../config";
import { CliError, withContext } from "../context";
import { createPrompter } from "../prompt";

/** login, whoami: who the CLI acts as. */
export function registerAuthCommands(program: Command): void {
  program
    .command("login")
    .description("Sign in and save an API token for this machine")
    .option("--url <url>", "server URL (default: OPS_URL or the saved one)")
    .option("--email <email>", "your email (asked when omitted)")
    .action(
      withContext(async (ctx, opts: { url?: string; email?: string }) => {
        const saved = await readSavedConfig(ctx.env.configPath).catch(() => null);
        const url = normaliseUrl(opts.url ?? ctx.env.url ?? saved?.url);
        const prompter = createPrompter();
        let sessionToken: string;
        try {
          const email = opts.email ?? (await prompter.ask("Email: ")).trim();
          const password = await prompter.askSecret("Password: ");
          sessionToken = await signIn(url, email, password, () => prompter.askSecret("Authentication code: "));
        } finally {
          prompter.close();
        }

        // The session only bootstraps a scoped, expiring API token; it ends right after.
        const session = createOpsClient({ url, token: sessionToken });
        try {
          const me = await session.identity.auth.me.query();
          if (me.permissions.length === 0) {
            throw new CliError("your account has no permissions to give a token (set up MFA in the dashboard if your role requires it)");
          }
          const created = await session.identity.tokens.create.mutate({
            name: `opsctl on ${hostname()}`,
            permissions: me.permissions,
            expiresInDays: 90,
          });
          await writeSavedConfig(ctx.env.configPath, { url, token: created.token });
          ctx.out.result({ url, email: me.email, tokenId: created.view.id, expiresAt: created.view.expiresAt }, () =>
            ctx.out.line(`Signed in to ${url} as ${me.email}`),
          );
          if (ctx.env.token) ctx.out.note("note: OPS_TOKEN is set and overrides the saved token until you unset it");
        } finally {
          await endSession(url, sessionToken);
        }
      }),
    );

  program
    .command("whoami")
    .description("Show who the saved token or OPS_TOKEN acts as")
    .action(
      withContext(async (ctx) => {
        const { client, url } = await ctx.connect();
        const me = await client.identity.auth.me.query();
        ctx.out.result({ url, ...me }, () => {
          const rows: [string, string][] = [
            ["Server", url],
            ["Email", me.email],
            ["Name", me.displayName || "-"],
            ["Roles", me.roles.map((r) => r.name).join(", ") || "-"],
            ["Permissions", String(me.permissions.length)],
            ["Via", me.via],
          ];
          for (const [label, value] of rows) ctx.out.line(`${(label + ":").padEnd(13)}${value}`);
        });
      }),
    );
}

/** Password, then the MFA code when asked; returns the session token. */
async function signIn(url: string, email: string, password: string, askCode: () => Promise<string>): Promise<string> {
  const client = createOpsClient({ url });
  let result = await refusedAsCliError(client.identity.auth.login.mutate({ email, password, client: "cli" }));
  if (result.status === "mfa-required") {
    const code = (await askCode()).trim();
    result = await refusedAsCliError(client.identity.auth.loginMfa.mutate({ challenge: result.challenge, code, client: "cli" }));
  }
  if (result.status === "mfa-required") throw new CliError("the server asked for a second code: sign in again");
  if (result.status === "mfa-enrolment-required") {
    if (result.sessionToken) await endSession(url, result.sessionToken);
    throw new CliError("your role requires two-factor authentication: set it up in the dashboard, then run `opsctl login` again");
  }
  if (!result.sessionToken) throw new CliError("the server did not return a session token to the CLI");
  return result.sessionToken;
}

/** A refused sign-in is about the password or code, not a stale token: say only what the server said. */
async function refusedAsCliError<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const ops = toOpsError(error);
    if (ops.code === "UNAUTHORIZED") throw new CliError(ops.toLine());
    throw error;
  }
}

/** Best effort: a failed logout must not hide the real outcome; the session expires anyway. */
async function endSession(url: string, sessionToken: string): Promise<void> {
  await createOpsClient({ url, token: sessionToken })
    .identity.auth.logout.mutate()
    .catch(() => {});
}

function normaliseUrl(raw: string | undefined): string {
  if (!raw) throw new CliError("no server URL: pass --url or set OPS_URL");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`not a URL: ${raw}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`not an http(s) URL: ${raw}`);
  return url.toString().replace(/\/+$/, "");
}
