// N concurrent sign-in loops (valid password) against the API, for a fixed time. Its own
// process, so the loops never share an event loop with the server or autocannon.
export {};

type Args = { url: string; email: string; password: string; concurrency: number; durationMs: number };
const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const deadline = Date.now() + args.durationMs;
const MAX_PER_LOOP = 100_000; // a bound, never reached in practice
let ok = 0;
let failed = 0;

async function loop() {
  for (let i = 0; i < MAX_PER_LOOP && Date.now() < deadline; i++) {
    const res = await fetch(`${args.url}/trpc/identity.auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: args.email, password: args.password, client: "cli" }),
    }).catch(() => null);
    if (res?.status === 200) ok++;
    else failed++;
    await res?.arrayBuffer().catch(() => {});
  }
}

await Promise.all(Array.from({ length: args.concurrency }, loop));
process.stdout.write(JSON.stringify({ ok, failed, perSecond: ok / (args.durationMs / 1000) }) + "\n");
