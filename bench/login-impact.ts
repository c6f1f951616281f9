// p99 of identity.auth.me under a steady moderate load, alone and while 20 sign-in
// loops (argon2id verify, new session) run against the same API node.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ADMIN, assertOk, startBenchApi } from "./lib/api";
import { runChild, runLoad } from "./lib/load";
import { fmt, record } from "./lib/report";

const DURATION_S = 10;
/** "Steady moderate": a fixed offered rate well below the node's maximum. */
const ME_RATE = Number(process.env.BENCH_ME_RATE ?? 200);
const CONNECTIONS = 10;
const LOGIN_CONCURRENCY = 20;

export async function loginImpact() {
  console.log(`\n== login-impact: identity.auth.me at ${ME_RATE} req/s, alone vs with ${LOGIN_CONCURRENCY} sign-in loops`);
  const api = await startBenchApi("login");
  try {
    const meUrl = `${api.url}/trpc/identity.auth.me`;
    const headers = { authorization: `Bearer ${api.apiToken}` };
    await assertOk(meUrl, headers);
    await runLoad({ url: meUrl, headers, connections: CONNECTIONS, duration: 2, overallRate: ME_RATE });
    const alone = await runLoad({ url: meUrl, headers, connections: CONNECTIONS, duration: DURATION_S, overallRate: ME_RATE });

    const loopFile = join(dirname(fileURLToPath(import.meta.url)), "lib", "login-loop-child.ts");
    // Sign-ins start first and end after the measurement, so the whole window is contended.
    const logins = runChild(
      loopFile,
      { url: api.url, email: ADMIN.email, password: ADMIN.password, concurrency: LOGIN_CONCURRENCY, durationMs: (DURATION_S + 3) * 1000 },
      (DURATION_S + 60) * 1000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const contended = await runLoad({ url: meUrl, headers, connections: CONNECTIONS, duration: DURATION_S, overallRate: ME_RATE });
    const loginStats = JSON.parse(await logins) as { ok: number; failed: number; perSecond: number };

    const ratio = contended.p99 / Math.max(alone.p99, 1);
    // autocannon sends less when the server slows (coordinated omission): a run that did
    // not reach the offered rate understates its p99, so it cannot pass.
    const keptUp = alone.rps >= ME_RATE * 0.95 && contended.rps >= ME_RATE * 0.95;
    record({ bench: "login-impact", metric: "me p99 alone", value: `${alone.p99} ms (p50 ${alone.p50} ms, ${fmt(alone.rps)} req/s)` });
    record({
      bench: "login-impact",
      metric: `me p99 with ${LOGIN_CONCURRENCY} sign-in loops`,
      value: `${contended.p99} ms (p50 ${contended.p50} ms, ${fmt(contended.rps)} req/s; sign-ins ${fmt(loginStats.perSecond, 1)}/s ok, ${loginStats.failed} failed)`,
    });
    record({
      bench: "login-impact",
      metric: "p99 ratio (with / alone)",
      value: fmt(ratio, 2) + (keptUp ? "" : ` (offered rate not sustained: ${fmt(contended.rps)} of ${ME_RATE} req/s)`),
      target: "<= 2",
      pass: ratio <= 2 && keptUp && contended.non2xx === 0 && alone.non2xx === 0,
    });
  } finally {
    await api.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await loginImpact();
