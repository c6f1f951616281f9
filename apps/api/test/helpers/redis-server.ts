import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "../../../../tooling/test/sshd";

export type TestRedis = {
  url: string;
  port: number;
  /** Stops the server (SIGKILL, as a crash would) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
};

/**
 * A real `redis-server` of the test's own on a free loopback port, with no persistence,
 * that the test can stop and start again (Redis outages). Needs redis-server on PATH.
 */
export async function startRedisServer(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;

  async function start() {
    const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    child = proc;
    const failed = new Promise<never>((_, reject) => proc.once("error", reject));
    await Promise.race([waitForPong(port, 20_000), failed]);
  }

  async function stop() {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  }

  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}

async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: "127.0.0.1", port });
      const done = (v: boolean) => (s.destroy(), resolve(v));
      s.setTimeout(1000, () => done(false));
      s.once("connect", () => s.write("PING\r\n"));
      s.once("data", (d: Buffer) => done(d.toString("latin1").startsWith("+PONG")));
      s.once("error", () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
