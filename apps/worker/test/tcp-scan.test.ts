import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectScan } from "../src/discovery/tcp-scan";

let server: net.Server;
let openPort: number;
let closedPort: number;

beforeAll(async () => {
  server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  openPort = (server.address() as net.AddressInfo).port;
  // A port that was free a moment ago: closed, so the loopback answers RST.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
});

afterAll(() => new Promise((r) => server.close(r)));

async function scan(portableSockets?: boolean) {
  const found: string[] = [];
  const run = connectScan({
    addresses: ["127.0.0.1"],
    ports: [openPort, closedPort],
    concurrency: 2,
    timeoutMs: 1000,
    ...(portableSockets === undefined ? {} : { portableSockets }),
    onOpen: (address, port) => found.push(`${address}:${port}`),
  });
  await run.finished;
  return { kind: run.kind, done: run.done, found };
}

describe("connectScan", () => {
  it("uses net.Socket when asked for portable sockets, and finds the same open port", async () => {
    const portable = await scan(true);
    expect(portable).toEqual({ kind: "net.Socket", done: 2, found: [`127.0.0.1:${openPort}`] });
  });

  it("uses the tcp_wrap binding by default on this Node", async () => {
    const fast = await scan();
    expect(fast).toEqual({ kind: "tcp_wrap", done: 2, found: [`127.0.0.1:${openPort}`] });
    expect(await scan(false)).toMatchObject({ kind: "tcp_wrap" });
  });
});

describe("connectScan across threads (big scans)", () => {
  const addresses = Array.from({ length: 64 }, (_, i) => `127.0.9.${i + 1}`).concat(["127.0.0.1"]);

  async function run(threadsFrom: number) {
    const found: string[] = [];
    const s = connectScan({
      addresses,
      ports: [closedPort, openPort],
      concurrency: 20,
      timeoutMs: 1000,
      threadsFrom,
      onOpen: (a, p) => found.push(`${a}:${p}`),
    });
    await s.finished;
    return { kind: s.kind, done: s.done, open: s.open, found: found.sort() };
  }

  it("finds exactly what one thread finds, counts every probe, and can run again", async () => {
    const single = await run(Number.MAX_SAFE_INTEGER);
    const threaded = await run(0);
    expect(single.kind).toBe("tcp_wrap");
    expect(threaded.kind).toBe("tcp_wrap threads");
    expect(threaded.done).toBe(130);
    expect(threaded.found).toEqual(single.found);
    expect(threaded.found).toContain(`127.0.0.1:${openPort}`);
    expect(threaded.open).toBe(single.open);
    expect(await run(0)).toEqual(threaded); // the pool is reused
  });

  it("stops a threaded scan part way", async () => {
    const many = Array.from({ length: 4096 }, (_, i) => `127.1.${i >> 8}.${i & 255}`);
    const s = connectScan({
      addresses: many,
      ports: Array.from({ length: 100 }, (_, i) => 1 + i),
      concurrency: 2,
      timeoutMs: 200,
      threadsFrom: 0,
      onOpen: () => {},
    });
    await new Promise((r) => setTimeout(r, 300));
    s.stop();
    await s.finished;
    expect(s.done).toBeGreaterThan(0);
    expect(s.done).toBeLessThan(s.total);
  });
});
