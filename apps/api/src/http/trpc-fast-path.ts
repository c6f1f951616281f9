import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { NextFunction, Request, Response } from "express";
import { appRouter } from "../routers/root";
import { retryAfterOf, type Context } from "../trpc";

/** A built procedure is callable; this is how tRPC's own caller and adapter invoke it. */
type ProcedureEntry = ((opts: {
  path: string;
  getRawInput: () => Promise<unknown>;
  ctx: Context;
  type: "query";
  signal: AbortSignal | undefined;
  batchIndex: number;
}) => Promise<unknown>) & { _def: { type: "query" | "mutation" | "subscription" } };
const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureEntry>;
const formatError = appRouter._def._config.errorFormatter;

/**
 * Single, unbatched GET queries (every page load's identity.auth.me, every list) call
 * the procedure as tRPC's own caller does: the same context, middleware, validation and error
 * shapes as the adapter, without the fetch Request/Response objects and AbortSignals the
 * adapter builds per call, which cost more than the procedures themselves (profile in
 * bench/README.md; docs/adr/0011). Anything else (batches, mutations, unknown paths,
 * unparsable input) goes on to the adapter untouched.
 */
export function trpcFastPath(opts: {
  createContext: (req: Request, res: Response) => Promise<Context>;
  onInternalError: (req: Request, path: string, error: TRPCError) => void;
}) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" || "batch" in req.query) return next();
    const path = req.path.slice(1);
    if (path.includes(",") || !Object.hasOwn(procedures, path) || procedures[path]!._def.type !== "query") return next();
    let input: unknown = undefined;
    const raw = req.query.input;
    if (raw !== undefined) {
      if (typeof raw !== "string") return next();
      try {
        input = JSON.parse(raw);
      } catch {
        return next(); // the adapter answers PARSE_ERROR in its own words
      }
    }
    let ctx: Context | undefined;
    try {
      ctx = await opts.createContext(req, res);
      const data = await procedures[path]!({ path, getRawInput: async () => input, ctx, type: "query", signal: undefined, batchIndex: 0 });
      res.status(200).json({ result: { data } });
    } catch (e) {
      const error =
        e instanceof TRPCError
          ? e
          : new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `Internal error (request id ${req.id})`, cause: e });
      if (error.code === "INTERNAL_SERVER_ERROR") opts.onInternalError(req, path, error);
      const httpStatus = getHTTPStatusCodeFromError(error);
      const retryAfter = retryAfterOf(error);
      if (retryAfter !== undefined) res.setHeader("Retry-After", String(retryAfter));
      const shape = { message: error.message, code: TRPC_ERROR_CODES_BY_KEY[error.code], data: { code: error.code, httpStatus, path } };
      res.status(httpStatus).json({ error: formatError({ shape, error, type: "query", path, input, ctx }) });
    }
  };
}
