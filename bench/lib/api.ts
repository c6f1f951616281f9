import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, loadConfig, startServer } from "@ops/api";
import { apiTokens } from "@ops/db";
import { mintApiToken } from "@ops/domain";
import { createScratchDb } from "./scratch-db";

export const ADMIN = { email: "bench-admin@example.com", password: "bench-password-0123456789" };

export type BenchApi = {
  url: string;
  apiToken: string;
  tokenVia: string;
  /** The API's own database handle, for benches that write their fixtures directly. */
  db: Awaited<ReturnType<typeof startServer>>["services"]["db"];
  stop: () => Promise<void>;
};

/**
 * The real API (no worker) on a scratch database, in this process, with an API token
 * for the first admin: created through identity.tokens.create when that procedure
 * exists, otherwise minted straight into the database.
 */
export async function startBenchApi(label: string, opts: { /** A dashboard build to serve. */ webDist?: string } = {}): Promise<BenchApi> {
  const scratch = await createScratchDb(label);
  const dataDir = mkdtempSync(join(tmpdir(), "ops-bench-"));
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: scratch.url,
    REDIS_URL: undefined,
    PORT: "0",
    HOST: "127.0.0.1",
    OPS_LOG_LEVEL: "silent",
    OPS_DATA_DIR: dataDir,
    OPS_ADMIN_EMAIL: ADMIN.email,
    OPS_ADMIN_PASSWORD: ADMIN.password,
    OPS_WEB_DIST: opts.webDist,
  });
  const server = await startServer(config, createLogger("silent"), { withWorker: false });
  const url = server.url.replace("localhost", "127.0.0.1");
  const stop = async () => {
    await server.stop();
    await scratch.drop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const sessionToken = await login(url);
    const created = await trpcPost(
      url,
      "identity.tokens.create",
      { name: "bench", permissions: ["users.read"], expiresInDays: 1 },
      sessionToken,
    );
    const fromApi = (created.body as { result?: { data?: { token?: string } } }).result?.data?.token;
    if (created.status === 200 && fromApi)
      return { url, apiToken: fromApi, tokenVia: "identity.tokens.create", db: server.services.db, stop };
    const admin = await server.services.db.query.users.findFirst({ where: (u, { eq }) => eq(u.email, ADMIN.email) });
    if (!admin) throw new Error("first admin was not created");
    const minted = mintApiToken();
    await server.services.db.insert(apiTokens).values({
      publicId: minted.publicId,
      secretHash: minted.secretHash,
      userId: admin.id,
      name: "bench",
      permissions: ["users.read"],
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    return {
      url,
      apiToken: minted.token,
      tokenVia: `mintApiToken (tokens.create answered ${created.status})`,
      db: server.services.db,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

export async function login(url: string): Promise<string> {
  const res = await trpcPost(url, "identity.auth.login", { ...ADMIN, client: "cli" });
  const token = (res.body as { result?: { data?: { sessionToken?: string } } }).result?.data?.sessionToken;
  if (!token) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  return token;
}

export async function trpcPost(url: string, path: string, input: unknown, bearer?: string) {
  const res = await fetch(`${url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as unknown };
}

/** Fails fast when the measured route does not answer 200 (a bench of 401s is worthless). */
export async function assertOk(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
}
