import { describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { isPermission, type Principal } from "@ops/domain";
import { appRouter } from "../src/routers/root";
import type { Access } from "../src/trpc";
import { startTestApp } from "./helpers/harness";

type ProcedureDef = { _def: { meta?: { access?: Access }; type: string } };
// tRPC keeps a flat map of "domain.area.verb" -> procedure beside the nested record.
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureDef>);

/** The only procedures anyone may call without signing in. */
const PUBLIC = [
  "identity.auth.login",
  "identity.auth.loginMfa",
  "identity.auth.logout",
  "identity.setup.inspect",
  "identity.setup.complete",
];

/** The account's own security: reachable with a signed-in session, never with an API token. */
const SESSION_ONLY = [
  "identity.mfa.status",
  "identity.mfa.enrolStart",
  "identity.mfa.enrolConfirm",
  "identity.mfa.disable",
  "identity.mfa.regenerateRecoveryCodes",
  "identity.sessions.list",
  "identity.sessions.revoke",
  "identity.sessions.revokeAll",
  "identity.profile.changePassword",
];
const KINDS = ["public", "authenticated", "session", "permission"];

describe("every procedure declares its access", () => {
  it("has procedures to check", () => {
    expect(procedures.length).toBeGreaterThan(20);
  });

  it.each(procedures)("%s declares a permission, a session, authentication, or public", (_path, proc) => {
    const access = proc._def.meta?.access;
    expect(access, "built from publicProcedure, authedProcedure, sessionProcedure or can(permission)").toBeDefined();
    expect(KINDS).toContain(access?.kind);
    if (access?.kind === "permission") expect(isPermission(access.permission)).toBe(true);
  });

  it("public procedures are exactly the sign-in and setup ones", () => {
    const publicOnes = procedures.filter(([, p]) => p._def.meta?.access?.kind === "public").map(([path]) => path);
    expect(publicOnes.sort()).toEqual([...PUBLIC].sort());
  });

  it("session-only procedures are exactly the account-security ones", () => {
    const sessionOnes = procedures.filter(([, p]) => p._def.meta?.access?.kind === "session").map(([path]) => path);
    expect(sessionOnes.sort()).toEqual([...SESSION_ONLY].sort());
  });

  it("refuses every non-public procedure to anonymous callers, every permission procedure to a user without it, and every session procedure to an API token", async () => {
    const app = await startTestApp();
    try {
      const nobody: Principal = { userId: app.admin.id, email: "nobody@example.test", displayName: "", via: "session", grants: [] };
      const token: Principal = { ...(await app.principalFor(app.admin.id)), via: "token", tokenId: "00000000-0000-0000-0000-000000000000" };
      for (const [path, proc] of procedures) {
        const access = proc._def.meta?.access;
        if (!access || access.kind === "public") continue;
        const call = (principal: Principal | null) => {
          const caller = app.caller(principal) as unknown as Record<string, (input: unknown) => Promise<unknown>>;
          const fn = path.split(".").reduce<any>((node, key) => node[key], caller);
          return fn({});
        };
        const anon = await call(null).then(
          () => null,
          (e: unknown) => e,
        );
        expect(anon instanceof TRPCError && anon.code, `${path} anonymous`).toBe("UNAUTHORIZED");
        if (access.kind === "permission") {
          const denied = await call(nobody).then(
            () => null,
            (e: unknown) => e,
          );
          expect(denied instanceof TRPCError && denied.code, `${path} without ${access.permission}`).toBe("FORBIDDEN");
        }
        if (access.kind === "session") {
          const denied = await call(token).then(
            () => null,
            (e: unknown) => e,
          );
          expect(denied instanceof TRPCError && denied.code, `${path} with an API token`).toBe("FORBIDDEN");
        }
      }
    } finally {
      await app.close();
    }
  });
});
