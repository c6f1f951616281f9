import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { procedureCalls, procedureDuration } from "./metrics";
import {
  can as allows,
  Conflict,
  DomainError,
  Forbidden,
  Invalid,
  NotFound,
  TooManyRequests,
  Unauthorized,
  type DomainContext,
  type Permission,
  type Principal,
  type RequestMeta,
  type Services,
} from "@ops/domain";

/**
 * The one place that creates tRPC (STYLE.md 2). Every procedure is built from exactly
 * one of `publicProcedure`, `authedProcedure`, `sessionProcedure` or `can(permission)`,
 * and says so in its meta; test/router-access.test.ts walks the router and fails on any
 * that does not.
 */
export type Access = { kind: "public" } | { kind: "authenticated" } | { kind: "session" } | { kind: "permission"; permission: Permission };
export type Meta = { access?: Access };

/** How procedures set or clear the browser's session cookie without touching express. */
export type SessionCookieJar = {
  set(token: string, expiresAt: Date): void;
  clear(): void;
};

export type Context = DomainContext & {
  cookies: SessionCookieJar;
  /** Where the principal's credential came from, so logout can end the right session. */
  sessionToken: string | null;
};

/** Request-free context for tests and in-process callers (createCaller). */
export function createInnerContext(opts: {
  services: Services;
  principal?: Principal | null;
  meta?: Partial<RequestMeta>;
  cookies?: SessionCookieJar;
  sessionToken?: string | null;
}): Context {
  return {
    services: opts.services,
    principal: opts.principal ?? null,
    meta: { ip: opts.meta?.ip ?? null, userAgent: opts.meta?.userAgent ?? null, requestId: opts.meta?.requestId ?? null },
    cookies: opts.cookies ?? { set: () => {}, clear: () => {} },
    sessionToken: opts.sessionToken ?? null,
  };
}

/** Field path -> messages, for forms. */
export function fieldErrorsOf(error: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "_";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    isDev: false,
    errorFormatter({ shape, error, ctx }) {
      // Last line of defence: an unexpected error's own message never reaches a client
      // (e.g. a failure while building the context, before errorMapping runs).
      if (error.code === "INTERNAL_SERVER_ERROR" && !error.message.startsWith("Internal error")) {
        const id = ctx?.meta.requestId;
        shape = { ...shape, message: `Internal error${id ? ` (request id ${id})` : ""}` };
      }
      const zod = error.cause instanceof ZodError ? error.cause : null;
      const invalid = error.cause instanceof Invalid ? error.cause : null;
      const fieldErrors = zod ? fieldErrorsOf(zod) : invalid?.field ? { [invalid.field]: [invalid.message] } : undefined;
      const retryAfter = error.cause instanceof TooManyRequests ? error.cause.retryAfterSeconds : undefined;
      return {
        ...shape,
        message: zod ? "Invalid input: " + zod.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ") : shape.message,
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, fieldErrors, retryAfter },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const mergeRouters = t.mergeRouters;

/** The one adapter from domain errors to tRPC codes (STYLE.md 6). */
function toTRPCError(e: unknown, requestId: string | null): TRPCError {
  if (e instanceof TRPCError) return e;
  if (e instanceof NotFound) return new TRPCError({ code: "NOT_FOUND", message: e.message, cause: e });
  if (e instanceof Conflict) return new TRPCError({ code: "CONFLICT", message: e.message, cause: e });
  if (e instanceof Forbidden) return new TRPCError({ code: "FORBIDDEN", message: e.message, cause: e });
  if (e instanceof Unauthorized) return new TRPCError({ code: "UNAUTHORIZED", message: e.message, cause: e });
  if (e instanceof Invalid) return new TRPCError({ code: "BAD_REQUEST", message: e.message, cause: e });
  if (e instanceof TooManyRequests) return new TRPCError({ code: "TOO_MANY_REQUESTS", message: e.message, cause: e });
  if (e instanceof DomainError) return new TRPCError({ code: "BAD_REQUEST", message: e.message, cause: e });
  // Unknown: never leak its message; the HTTP layer logs it whole with the request id.
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: `Internal error${requestId ? ` (request id ${requestId})` : ""}`,
    cause: e instanceof Error ? e : new Error(String(e)),
  });
}

const errorMapping = t.middleware(async ({ ctx, next, path, type }) => {
  const stop = procedureDuration.startTimer({ procedure: path, type });
  const result = await next();
  stop();
  procedureCalls.inc({ procedure: path, type, code: result.ok ? "OK" : result.error.code });
  // tRPC wraps whatever a procedure threw as INTERNAL_SERVER_ERROR with the original as
  // cause; deliberate codes (input validation, auth) pass through untouched.
  if (result.ok || result.error.code !== "INTERNAL_SERVER_ERROR") return result;
  throw toTRPCError(result.error.cause ?? result.error, ctx.meta.requestId);
});

const base = t.procedure.use(errorMapping);

export const publicProcedure = base.meta({ access: { kind: "public" } });

const requirePrincipal = t.middleware(({ ctx, next }) => {
  if (!ctx.principal) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

/** Any signed-in user, acting on their own account (profile, own sessions, own tokens). */
export const authedProcedure = base.meta({ access: { kind: "authenticated" } }).use(requirePrincipal);

/**
 * Signed in with a password (browser cookie or CLI session token), not an API token: for
 * the account's own security (MFA, sessions, password), which a token must not reach.
 */
export const sessionProcedure = base
  .meta({ access: { kind: "session" } })
  .use(requirePrincipal)
  .use(({ ctx, next }) => {
    if (ctx.principal.via !== "session") {
      throw new TRPCError({ code: "FORBIDDEN", message: "An API token cannot do this; sign in with your password" });
    }
    return next();
  });

/** Signed in and holding `permission` (STYLE.md 2: every procedure states what it needs). */
export function can(permission: Permission) {
  return base
    .meta({ access: { kind: "permission", permission } })
    .use(requirePrincipal)
    .use(({ ctx, next }) => {
      if (!allows(ctx.principal, permission)) {
        throw new TRPCError({ code: "FORBIDDEN", message: `You need the "${permission}" permission` });
      }
      return next();
    });
}
