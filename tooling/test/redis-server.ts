import { spawn, type ChildProcess } from "node:child_process";

export type TestRedis = { url: string; port: number; stop(): Promise<void>; start(): Promise<void> };

/**
 * A private `redis-server` (Debian package redis-server) on a loopback port, with no
 * persistence, that a test can stop and start again on the same port to play an outage.
 */
export async function startRedisServer(port: number): Promise<TestRedis> {
  let child: ChildProcess | null = null;
  async function start() {
    const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let output = "";
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`redis-server on ${port} did not start:\n${output}`)), 20_000);
      proc.stdout!.on("data", (d: Buffer) => {
        output += d.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          ok();
        }
      });
      proc.once("error", (e) => {
        clearTimeout(timer);
        fail(new Error(`cannot run redis-server (install the Debian package redis-server): ${e.message}`));
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`redis-server exited ${code}:\n${output}`));
      });
    });
    proc.stdout!.resume();
    child = proc;
  }
  async function stop() {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((ok) => {
      proc.once("exit", () => ok());
      proc.kill("SIGTERM");
    });
  }
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}
