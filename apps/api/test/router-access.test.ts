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
const PUBLIC = ["identity.auth.login", "identity.auth.loginMfa", "identity.auth.logout", "identity.setup.inspect", "identity.setup.complete"];

describe("every procedure declares its access", () => {
  it("has procedures to check", () => {
    expect(procedures.length).toBeGreaterThan(20);
  });

  it.each(procedures)("%s declares a permission, authentication, or public", (_path, proc) => {
    const access = proc._def.meta?.access;
    expect(access, "built from publicProcedure, authedProcedure or can(permission)").toBeDefined();
    if (access?.kind === "permission") expect(isPermission(access.permission)).toBe(true);
  });

  it("public procedures are exactly the sign-in and setup ones", () => {
    const publicOnes = procedures.filter(([, p]) => p._def.meta?.access?.kind === "public").map(([path]) => path);
    expect(publicOnes.sort()).toEqual([...PUBLIC].sort());
  });

  it("refuses every non-public procedure to anonymous callers and every permission procedure to a user without it", async () => {
    const app = await startTestApp();
    try {
      const nobody: Principal = { userId: app.admin.id, email: "nobody@example.test", displayName: "", via: "session", grants: [] };
      for (const [path, proc] of procedures) {
        const access = proc._def.meta?.access;
        if (!access || access.kind === "public") continue;
        const call = (principal: Principal | null) => {
          const caller = app.caller(principal) as unknown as Record<string, (input: unknown) => Promise<unknown>>;
          const fn = path.split(".").reduce<any>((node, key) => node[key], caller);
          return fn({});
        };
        const anon = await call(null).then(() => null, (e: unknown) => e);
        expect(anon instanceof TRPCError && anon.code, `${path} anonymous`).toBe("UNAUTHORIZED");
        if (access.kind === "permission") {
          const denied = await call(nobody).then(() => null, (e: unknown) => e);
          expect(denied instanceof TRPCError && denied.code, `${path} without ${access.permission}`).toBe("FORBIDDEN");
        }
      }
    } finally {
      await app.close();
    }
  });
});
