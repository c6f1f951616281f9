import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type LoadResult = {
  requests: number;
  rps: number;
  durationS: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
};

export type LoadOptions = {
  url: string;
  connections: number;
  duration: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** Requests per second across all connections (autocannon overallRate). */
  overallRate?: number;
};

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Runs autocannon in a child process (see load-child.ts) and returns its summary. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return runChild(join(benchDir, "lib", "load-child.ts"), options, (options.duration + 30) * 1000).then(
    (out) => JSON.parse(out) as LoadResult,
  );
}

/** Spawns `node --import tsx <file> <json>` from the bench folder; resolves with stdout. */
export function runChild(file: string, args: unknown, timeoutMs: number): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", file, JSON.stringify(args)], {
      cwd: benchDir,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", fail);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) ok(out.trim().split("\n").pop() ?? "");
      else fail(new Error(`${file} exited with ${code}`));
    });
  });
}
