import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPCRequestInfo } from "@trpc/server/http";
import { ZodError, ZodRealError } from "zod";
import { isDatabaseUnreachable } from "@ops/db";
import { procedureCalls, procedureDuration } from "./metrics";
import {
  can as allows,
  TRPC_MAX_BATCH,
  Conflict,
  DomainError,
  Forbidden,
  Invalid,
  NotFound,
  TooManyRequests,
  Unauthorized,
  Unavailable,
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
export type Meta = {
  access?: Access;
  /** Takes a password or a one-time code: refused inside a batch of several calls. */
  unbatched?: boolean;
};

/** The most calls one batched request may carry (tRPC's `maxBatchSize`); larger batches answer 400. */
export const MAX_BATCH_SIZE = TRPC_MAX_BATCH;

/**
 * Called by the HTTP adapter before anything runs: a batch of several calls that
 * includes a procedure marked `unbatched` (sign-in, MFA, setup, password change) is
 * refused whole, so one request is one guess however the throttle counts (issue 6).
 * A batch of one is a plain call (httpBatchLink always sends `?batch=1`).
 */
export function refuseUnbatchable(info: Pick<TRPCRequestInfo, "isBatchCall" | "calls">): void {
  if (!info.isBatchCall || info.calls.length < 2) return;
  const refused = info.calls.find((c) => (c.procedure?._def.meta as Meta | undefined)?.unbatched);
  if (refused) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `${refused.path} cannot be sent in a batch with other calls; send it on its own` });
  }
}

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
    // Subscriptions over SSE (automation.runs.onOutput/onProgress): a comment every 15 s
    // keeps proxies from closing a quiet stream; a client that hears nothing for 40 s
    // reconnects (resuming from Last-Event-ID).
    sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 40_000 } },
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
      const retryAfter = retryAfterOf(error);
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

/** What a client is told while the database is unreachable, and when to try again. */
export const DATABASE_UNAVAILABLE = "Database unavailable; try again in a few seconds";
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** The one adapter from domain errors to tRPC codes (STYLE.md 6). */
export function toTRPCError(e: unknown, requestId: string | null): TRPCError {
  if (e instanceof TRPCError) return e;
  if (e instanceof NotFound) return new TRPCError({ code: "NOT_FOUND", message: e.message, cause: e });
  if (e instanceof Conflict) return new TRPCError({ code: "CONFLICT", message: e.message, cause: e });
  if (e instanceof Forbidden) return new TRPCError({ code: "FORBIDDEN", message: e.message, cause: e });
  if (e instanceof Unauthorized) return new TRPCError({ code: "UNAUTHORIZED", message: e.message, cause: e });
  if (e instanceof Invalid) return new TRPCError({ code: "BAD_REQUEST", message: e.message, cause: e });
  if (e instanceof TooManyRequests) return new TRPCError({ code: "TOO_MANY_REQUESTS", message: e.message, cause: e });
  if (e instanceof Unavailable) return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: e.message, cause: e });
  if (e instanceof DomainError) return new TRPCError({ code: "BAD_REQUEST", message: e.message, cause: e });
  // A database restart or outage is not a bug: 503 with Retry-After, so clients and load
  // balancers wait and retry instead of reporting an internal error.
  if (isDatabaseUnreachable(e)) {
    const cause = new Unavailable(DATABASE_UNAVAILABLE, DATABASE_RETRY_AFTER_SECONDS, { cause: e });
    return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: cause.message, cause });
  }
  // Unknown: never leak its message; the HTTP layer logs it whole with the request id.
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: `Internal error${requestId ? ` (request id ${requestId})` : ""}`,
    cause: e instanceof Error ? e : new Error(String(e)),
  });
}

/** Seconds a client should wait before retrying, for errors that say (429, 503). */
export function retryAfterOf(error: TRPCError): number | undefined {
  const cause = error.cause;
  return cause instanceof TooManyRequests || cause instanceof Unavailable ? cause.retryAfterSeconds : undefined;
}

/** The adapter's responseMeta: a Retry-After header when an answer's errors say when to retry. */
export function retryAfterHeaders({ errors }: { errors: TRPCError[] }): { headers?: Record<string, string> } {
  const seconds = errors.map(retryAfterOf).filter((s): s is number => s !== undefined);
  return seconds.length ? { headers: { "Retry-After": String(Math.max(...seconds)) } } : {};
}

export const NUL_MESSAGE = "Must not contain a NUL character (\\0)";

/**
 * Path of the first string (or object key) in `value` holding a NUL character, else null.
 * Postgres cannot store 0x00 in text; refused here, for every procedure's input at once,
 * it is a 400 naming the field instead of a database error (issue 6, point 10).
 */
export function nulPath(value: unknown, path: (string | number)[] = []): (string | number)[] | null {
  if (typeof value === "string") return value.includes("\0") ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i], [...path, i]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes("\0")) return [...path, k];
      const found = nulPath(v, [...path, k]);
      if (found) return found;
    }
  }
  return null;
}

async function refuseNul(getRawInput: () => Promise<unknown>): Promise<void> {
  const path = nulPath(await getRawInput());
  if (!path) return;
  // ZodRealError: the ZodError that is also an Error, as a failed parse throws (tRPC keeps only Errors as causes).
  const cause = new ZodRealError([{ code: "custom", path, message: NUL_MESSAGE, input: undefined }]);
  throw new TRPCError({ code: "BAD_REQUEST", message: NUL_MESSAGE, cause });
}

/**
 * One middleware per procedure, on purpose: tRPC copies the call's options at every
 * middleware level, and on the hot path (identity.auth.me) those copies cost more than
 * the work. It times the call, counts its outcome, refuses NUL characters in the input,
 * checks access, and maps errors.
 */
async function observe<R extends { ok: boolean; error?: TRPCError }>(
  opts: { ctx: Context; path: string; type: string; getRawInput: () => Promise<unknown> },
  run: () => Promise<R>,
): Promise<R> {
  const stop = procedureDuration.startTimer({ procedure: opts.path, type: opts.type });
  let code = "OK";
  try {
    // Before the input validators run: the one edge every input crosses.
    await refuseNul(opts.getRawInput);
    const result = await run();
    if (result.ok) return result;
    code = result.error!.code;
    // tRPC wraps whatever a procedure threw as INTERNAL_SERVER_ERROR with the original as
    // cause; deliberate codes (input validation, auth) pass through untouched.
    if (code !== "INTERNAL_SERVER_ERROR") return result;
    const mapped = toTRPCError(result.error!.cause ?? result.error, opts.ctx.meta.requestId);
    code = mapped.code;
    throw mapped;
  } catch (e) {
    if (code === "OK") code = e instanceof TRPCError ? e.code : "INTERNAL_SERVER_ERROR";
    throw e;
  } finally {
    stop();
    procedureCalls.inc({ procedure: opts.path, type: opts.type, code });
  }
}

export const publicProcedure = t.procedure.meta({ access: { kind: "public" } }).use((opts) => observe(opts, () => opts.next()));

/** Signed in, then `check` (throws to refuse); resolvers see a non-null principal. */
function signedIn(access: Access, check?: (principal: Principal) => void) {
  return t.procedure.meta({ access }).use((opts) =>
    observe(opts, () => {
      const principal = opts.ctx.principal;
      if (!principal) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
      check?.(principal);
      return opts.next({ ctx: { principal } });
    }),
  );
}

/** Any signed-in user, acting on their own account (profile, own tokens). */
export const authedProcedure = signedIn({ kind: "authenticated" });

/**
 * Signed in with a password (browser cookie or CLI session token), not an API token: for
 * the account's own security (MFA, sessions, password), which a token must not reach.
 */
export const sessionProcedure = signedIn({ kind: "session" }, (principal) => {
  if (principal.via !== "session") {
    throw new TRPCError({ code: "FORBIDDEN", message: "An API token cannot do this; sign in with your password" });
  }
});

/** Signed in and holding `permission` (STYLE.md 2: every procedure states what it needs). */
export function can(permission: Permission) {
  return signedIn({ kind: "permission", permission }, (principal) => {
    if (!allows(principal, permission)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `You need the "${permission}" permission` });
    }
  });
}
