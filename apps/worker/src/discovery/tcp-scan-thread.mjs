// A scanning thread, kept for the life of the process: each message { type: "scan" }
// runs one shard of a TCP connect scan (probes start, start + stride, ...). Plain
// JavaScript on purpose, so the same file runs under tsx, vitest and the bundle. The
// loop mirrors connectScan's tcp_wrap path in tcp-scan.ts (see there for why).
import { parentPort } from "node:worker_threads";

const b = process.binding("tcp_wrap");
let current = null;

parentPort.on("message", (m) => {
  if (m.type === "scan") current = runShard(m);
  else if (m.type === "stop" && current && current.id === m.id) current.stop();
});

function runShard({ id, addresses, ports, start, stride, concurrency, timeoutMs, counters, index }) {
  const nAddr = addresses.length;
  const total = nAddr * ports.length;
  const slots = Math.max(1, concurrency);
  const deadline = new Float64Array(slots);
  const handles = new Array(slots).fill(null);
  const gens = new Uint32Array(slots);
  let next = start;
  let done = 0;
  let inFlight = 0;
  let stopped = false;
  let over = false;

  const publish = () => Atomics.store(counters, index, done);
  const settle = (slot) => {
    handles[slot] = null;
    gens[slot]++;
    inFlight--;
    if ((++done & 63) === 0) publish();
    launch(slot);
  };
  const finishIfIdle = () => {
    if (over || inFlight !== 0 || !(stopped || next >= total)) return;
    over = true;
    clearInterval(sweep);
    publish();
    current = null;
    parentPort.postMessage({ type: "done", id });
  };
  function onComplete(status, handle) {
    const slot = this.slot;
    if (gens[slot] !== this.gen) return;
    handle.close();
    if (status === 0) parentPort.postMessage({ type: "open", id, address: this.address, port: this.port });
    settle(slot);
  }
  function launch(slot) {
    if (stopped || next >= total) return finishIfIdle();
    const i = next;
    next += stride;
    const address = addresses[i % nAddr];
    const port = ports[(i / nAddr) | 0];
    inFlight++;
    deadline[slot] = performance.now() + timeoutMs;
    const handle = new b.TCP(b.constants.SOCKET);
    const req = new b.TCPConnectWrap();
    req.slot = slot;
    req.gen = gens[slot];
    req.address = address;
    req.port = port;
    req.oncomplete = onComplete;
    handles[slot] = handle;
    if (handle.connect(req, address, port) !== 0) {
      handle.close();
      settle(slot);
    }
  }
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (let s = 0; s < slots; s++) {
        const h = handles[s];
        if (h && (stopped || deadline[s] <= now)) {
          h.close();
          settle(s);
        }
      }
      finishIfIdle();
    },
    Math.max(10, Math.min(100, timeoutMs / 4)),
  );
  for (let s = 0; s < slots; s++) launch(s);
  finishIfIdle();
  return { id, stop: () => (stopped = true) };
}
