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
