import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { join, sep } from "node:path";
import { TRPCError } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import compression from "compression";
import express, { type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import { configWarnings, type Config } from "../config";
import type { Logger } from "../logger";
import { httpRequests, registry } from "../metrics";
import { appRouter } from "../routers/root";
import type { ApiServices } from "../services";
import { DATABASE_RETRY_AFTER_SECONDS, MAX_BATCH_SIZE, refuseUnbatchable, retryAfterHeaders, toTRPCError, type Context } from "../trpc";
import { originCheck } from "./origin-check";
import { trpcFastPath } from "./trpc-fast-path";
import { runOutputDownload } from "./run-output-download";
import { runPageHtml } from "./run-page-html";
import { cookieJar, readSessionCookie } from "./session-cookie";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      id: string;
    }
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

const digest = (s: string) => createHash("sha256").update(s).digest();

function errorBody(req: Request, status: number, code: string, message: string) {
  return { error: { message, code, data: { code, httpStatus: status, requestId: req.id } } };
}

export function createApp(opts: { config: Config; services: ApiServices; log: Logger; webDist?: string | null }) {
  const { config, services, log } = opts;
  for (const warning of configWarnings(config)) log.warn(warning);
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.OPS_TRUST_PROXY);
  app.set("etag", false);

  app.use((req, res, next) => {
    const incoming = req.headers["x-request-id"];
    req.id = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("X-Request-Id", req.id);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const route = req.path.startsWith("/trpc") ? "/trpc" : req.route ? req.path : req.path.startsWith("/assets/") ? "/assets" : "other";
      httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      log.info(
        { requestId: req.id, method: req.method, url: req.originalUrl.split("?")[0], status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        "request",
      );
    });
    next();
  });

  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          imgSrc: ["'self'", "data:"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          scriptSrc: ["'self'"],
          connectSrc: ["'self'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: null,
        },
      },
      strictTransportSecurity: config.publicUrl.startsWith("https://"),
    }),
  );

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  // Only the database makes a node unready: without Redis it still serves, on in-process
  // fallbacks, and a 503 would take every node out of the load balancer at once.
  let databaseDown = false;
  app.get("/readyz", async (req, res) => {
    const { postgres, redis } = await services.ping();
    if (!!postgres !== databaseDown) {
      // Once per change, not per probe. Unauthenticated endpoint: the answer names what is
      // down, the log has the details (hosts, auth errors).
      databaseDown = !!postgres;
      if (postgres) log.warn({ requestId: req.id, failure: postgres }, "not ready: the database is unreachable");
      else log.info("ready again: the database is reachable");
    }
    const redisStatus = !services.redis ? "not configured" : redis ? "unreachable, using in-process fallbacks" : "ok";
    if (postgres) {
      res.setHeader("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
      res.status(503).json({ status: "unavailable", postgres: "unreachable", redis: redisStatus, reasons: ["postgres: unreachable"] });
      return;
    }
    res.json({ status: redis ? "degraded" : "ready", postgres: "ok", redis: redisStatus });
  });
  // Not public (issue 6, point 11): process and per-procedure figures are for the
  // operator's scraper, which sends OPS_METRICS_TOKEN as a bearer token.
  const metricsToken = config.OPS_METRICS_TOKEN ? digest(config.OPS_METRICS_TOKEN) : null;
  app.get("/metrics", async (req, res) => {
    if (!metricsToken) {
      res.status(404).json(errorBody(req, 404, "NOT_FOUND", "Metrics are off: set OPS_METRICS_TOKEN to serve them"));
      return;
    }
    const auth = req.headers.authorization;
    if (!auth?.startsWith("Bearer ") || !timingSafeEqual(digest(auth.slice(7).trim()), metricsToken)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
      res.status(401).json(errorBody(req, 401, "UNAUTHORIZED", "Send OPS_METRICS_TOKEN as a bearer token"));
      return;
    }
    res.setHeader("Content-Type", registry.contentType);
    res.send(await registry.metrics());
  });

  async function createContext(req: Request, res: Response): Promise<Context> {
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : null;
    const sessionToken = bearer ?? readSessionCookie(req);
    const ip = req.ip ?? null;
    let principal = null;
    try {
      principal = sessionToken ? await services.principals.resolve(sessionToken, ip) : null;
    } catch (e) {
      // The same mapping as procedures: a database outage answers 503, anything else 500.
      throw toTRPCError(e, req.id);
    }
    return {
      services,
      principal,
      meta: { ip, userAgent: req.headers["user-agent"]?.slice(0, 512) ?? null, requestId: req.id },
      cookies: cookieJar(req, res, config.publicUrl),
      sessionToken,
    };
  }
  const logInternal = (req: Request, path: string | undefined, error: TRPCError) =>
    log.error({ requestId: req.id, path, err: error.cause ?? error }, "unexpected error");

  app.use(
    "/trpc",
    trpcFastPath({ createContext, onInternalError: logInternal }),
    originCheck(config.publicUrl),
    createExpressMiddleware({
      router: appRouter,
      maxBodySize: config.OPS_BODY_LIMIT_KB * 1024,
      maxBatchSize: MAX_BATCH_SIZE,
      allowMethodOverride: false,
      responseMeta: retryAfterHeaders,
      createContext: ({ req, res, info }) => {
        refuseUnbatchable(info);
        return createContext(req, res);
      },
      onError({ error, path, req }) {
        if (error.code === "INTERNAL_SERVER_ERROR") logInternal(req, path, error);
      },
    }),
  );

  app.get("/api/runs/:runId/output.txt", runOutputDownload(createContext));

  // Unknown API-ish paths answer JSON 404, never the SPA.
  app.use(["/api", "/trpc"], (req, res) => {
    res.status(404).json(errorBody(req, 404, "NOT_FOUND", `No such endpoint: ${req.method} ${req.path}`));
  });

  const webDist = opts.webDist;
  if (webDist && existsSync(join(webDist, "index.html"))) {
    // The dashboard's files go compressed (its script is ~550 KB, ~170 KB gzipped: a first
    // visit over a real network). Vite names everything under assets/ by its content hash,
    // so those are cached for good; index.html (below) is asked for again each time.
    // Only these handlers compress: the API and the SSE streams answered above.
    const hashed = `${sep}assets${sep}`;
    app.use(
      compression(),
      express.static(webDist, {
        index: false,
        maxAge: "1h",
        setHeaders: (res, path) => {
          if (path.includes(hashed)) res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
        },
      }),
    );
    // A run's page carries its title and last lines, for whoever may read them (run-page-html.ts).
    app.get(
      "/runs/:runId",
      runPageHtml({
        indexPath: join(webDist, "index.html"),
        createContext,
        onError: (req, err) => log.error({ requestId: req.id, err }, "run page: first reads failed"),
      }),
    );
    app.get(/.*/, (_req, res) => {
      res.setHeader("Cache-Control", "no-cache");
      res.sendFile(join(webDist, "index.html"));
    });
  } else {
    app.get("/", (_req, res) => {
      res.type("text/plain").send("OpsConductor API is running. The dashboard is not built: run `pnpm build`.\n");
    });
  }

  app.use((req: Request, res: Response) => {
    res.status(404).json(errorBody(req, 404, "NOT_FOUND", `No such endpoint: ${req.method} ${req.path}`));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string };
    if (e.type === "entity.too.large") return void res.status(413).json(errorBody(req, 413, "PAYLOAD_TOO_LARGE", "Request body too large"));
    if (e.type === "entity.parse.failed") return void res.status(400).json(errorBody(req, 400, "PARSE_ERROR", "Malformed JSON body"));
    log.error({ requestId: req.id, err }, "unexpected error");
    res.status(500).json(errorBody(req, 500, "INTERNAL_SERVER_ERROR", `Internal error (request id ${req.id})`));
  });

  return app;
}
