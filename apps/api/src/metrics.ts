import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Prometheus metrics of this process, served at /metrics. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "ops_" });

export const httpRequests = new Counter({
  name: "ops_http_requests_total",
  help: "HTTP requests by route and status",
  labelNames: ["method", "route", "status"] as const,
  registers: [registry],
});

export const procedureCalls = new Counter({
  name: "ops_trpc_calls_total",
  help: "tRPC procedure calls by procedure, type and result code",
  labelNames: ["procedure", "type", "code"] as const,
  registers: [registry],
});

export const procedureDuration = new Histogram({
  name: "ops_trpc_duration_seconds",
  help: "tRPC procedure duration",
  labelNames: ["procedure", "type"] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

let redisUp: Gauge | null = null;
/**
 * 1 while this node reaches Redis, 0 while it runs on in-process fallbacks. Registered
 * by the first node that has REDIS_URL, so a single node without Redis shows no false 0.
 */
export function redisUpGauge(): Gauge {
  return (redisUp ??= new Gauge({
    name: "ops_redis_up",
    help: "1 while Redis is reachable, 0 while this node runs on in-process fallbacks (only with REDIS_URL)",
    registers: [registry],
  }));
}
