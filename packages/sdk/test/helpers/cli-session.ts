import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestApp } from "../../../../apps/api/test/helpers/harness";
import { createOpsClient, type OpsClient } from "../../src/index";
import { runOpsctl } from "./opsctl";

export type CliSession = {
  dir: string;
  token: string;
  client: OpsClient;
  /** opsctl signed in with the token through OPS_URL/OPS_TOKEN, as a CI job runs it, in `dir`. */
  opsctl(args: string[], more?: Pick<Parameters<typeof runOpsctl>[1], "stdin" | "onStderr">): ReturnType<typeof runOpsctl>;
  close(): Promise<void>;
};

/**
 * A new admin, an API token with all its permissions, an SDK client on that token, and a
 * scratch directory for files and opsctl's HOME: what every CLI test starts from.
 */
export async function startCliSession(app: TestApp, name: string): Promise<CliSession> {
  const dir = await mkdtemp(join(tmpdir(), `opsctl-${name.replace(/\W+/g, "-")}-`));
  const user = await app.createUser({ roles: ["admin"] });
  const session = createOpsClient({ url: app.url, token: (await app.login(user.email, user.password)).token });
  const me = await session.identity.auth.me.query();
  const { token } = await session.identity.tokens.create.mutate({ name, permissions: me.permissions, expiresInDays: 1 });
  return {
    dir,
    token,
    client: createOpsClient({ url: app.url, token }),
    opsctl: (args, more = {}) =>
      runOpsctl(args, {
        ...more,
        cwd: dir,
        env: { HOME: dir, OPSCTL_CONFIG: join(dir, "none.json"), OPS_URL: app.url, OPS_TOKEN: token },
        killAfterMs: 45_000,
      }),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
