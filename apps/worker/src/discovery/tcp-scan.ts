import net from "node:net";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * A TCP connect scan with bounded concurrency and per-probe timeouts, built for probe
 * overhead: the loopback (and most LANs) answer a closed port with an instant RST, so
 * the cost of a probe is our own work. Per probe we allocate only the socket handle:
 * addresses are formatted once, timeouts are one sweep timer over a slot table (not a
 * timer per socket), and nothing is written anywhere until a port is open.
 */
export type ConnectScanOptions = {
  addresses: readonly string[];
  ports: readonly number[];
  concurrency: number;
  timeoutMs: number;
  /** Use net.Socket even when the tcp_wrap binding loaded (OPS_DISCOVERY_PORTABLE_SOCKETS). Default false. */
  portableSockets?: boolean;
  /** Called once per open port, as soon as the connect succeeds. */
  onOpen: (address: string, port: number) => void;
  /** Scans of at least this many probes are split across worker threads (default 10,000). */
  threadsFrom?: number;
};

export type ConnectScan = {
  /** Which socket layer this scan uses. */
  readonly kind: ScannerKind;
  /** Probes finished (open, closed, unreachable or timed out). */
  readonly done: number;
  readonly open: number;
  readonly total: number;
  /** Stops launching probes and closes those in flight; `finished` then resolves. */
  stop(): void;
  readonly finished: Promise<void>;
};

type Handle = { close(cb?: () => void): void; connect(req: ConnectReq, address: string, port: number): number };
type ConnectReq = { oncomplete: (status: number, handle: Handle) => void; slot: number; gen: number; address: string; port: number };
type TcpBinding = { TCP: new (type: number) => Handle; TCPConnectWrap: new () => ConnectReq; constants: { SOCKET: number } };

/**
 * Node's own TCP handle, without the stream and EventEmitter layers of net.Socket: about
 * 3x fewer microseconds per probe (bench/discovery.ts). It is an internal binding, so we
 * probe it once and fall back to net.Socket if a Node release changes it.
 */
function loadTcpBinding(): TcpBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): TcpBinding }).binding("tcp_wrap");
    if (typeof b.TCP !== "function" || typeof b.TCPConnectWrap !== "function" || typeof b.constants?.SOCKET !== "number") return null;
    return b;
  } catch {
    return null;
  }
}
const tcpBinding = loadTcpBinding();
export type ScannerKind = "tcp_wrap" | "tcp_wrap threads" | "net.Socket";

/**
 * Big scans use every core: connect() and the RST that answers a closed port cost
 * kernel time on the calling thread, so N threads probe about N times as fast as one
 * (nmap -sT uses a single thread). Each thread takes every Nth probe.
 */
const THREADS = Math.min(availableParallelism(), 4);
const THREAD_FILE = new URL("./tcp-scan-thread.mjs", import.meta.url);

export function connectScan(opts: ConnectScanOptions): ConnectScan {
  const binding = opts.portableSockets ? null : tcpBinding;
  const probes = opts.addresses.length * opts.ports.length;
  if (binding && THREADS > 1 && probes >= (opts.threadsFrom ?? 10_000)) return threadedScan(opts, THREADS);
  const nAddr = opts.addresses.length;
  const total = nAddr * opts.ports.length;
  const slots = Math.max(1, Math.min(opts.concurrency, total));
  const deadline = new Float64Array(slots);
  const closers: (null | (() => void))[] = new Array(slots).fill(null);
  const gens = new Uint32Array(slots);
  let next = 0;
  let done = 0;
  let open = 0;
  let inFlight = 0;
  let stopped = false;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));

  const settle = (slot: number) => {
    closers[slot] = null;
    gens[slot]!++;
    inFlight--;
    done++;
    launch(slot);
  };
  const finishIfIdle = () => {
    if (inFlight === 0 && (stopped || next >= total)) {
      clearInterval(sweep);
      resolveFinished();
    }
  };

  // Port-major order: consecutive probes hit different hosts, so no host sees a burst.
  const launch = (slot: number): void => {
    if (stopped || next >= total) return finishIfIdle();
    const i = next++;
    const address = opts.addresses[i % nAddr]!;
    const port = opts.ports[(i / nAddr) | 0]!;
    inFlight++;
    deadline[slot] = performance.now() + opts.timeoutMs;
    const gen = gens[slot]!;
    if (binding) {
      const handle = new binding.TCP(binding.constants.SOCKET);
      const req = new binding.TCPConnectWrap();
      req.slot = slot;
      req.gen = gen;
      req.address = address;
      req.port = port;
      req.oncomplete = onComplete;
      closers[slot] = () => handle.close();
      const err = handle.connect(req, address, port);
      if (err !== 0) {
        handle.close();
        settle(slot);
      }
      return;
    }
    const socket = net.connect({ host: address, port });
    closers[slot] = () => socket.destroy();
    socket.once("connect", () => {
      if (gens[slot] !== gen) return;
      open++;
      socket.destroy();
      opts.onOpen(address, port);
      settle(slot);
    });
    socket.on("error", () => {
      if (gens[slot] === gen) settle(slot);
    });
  };

  function onComplete(this: ConnectReq, status: number, handle: Handle) {
    const slot = this.slot;
    if (gens[slot] !== this.gen) return; // timed out or stopped: already counted
    handle.close();
    if (status === 0) {
      open++;
      opts.onOpen(this.address, this.port);
    }
    settle(slot);
  }

  const sweepEvery = Math.max(10, Math.min(100, opts.timeoutMs / 4));
  const sweep = setInterval(() => {
    const now = performance.now();
    for (let s = 0; s < slots; s++) {
      const close = closers[s];
      if (close && (stopped || deadline[s]! <= now)) {
        close();
        settle(s);
      }
    }
    finishIfIdle();
  }, sweepEvery);

  for (let s = 0; s < slots; s++) launch(s);
  if (total === 0) finishIfIdle();

  return {
    kind: binding ? "tcp_wrap" : "net.Socket",
    get done() {
      return done;
    },
    get open() {
      return open;
    },
    total,
    stop() {
      stopped = true;
    },
    finished,
  };
}

/** The scanning threads, started by the first big scan and kept (they hold no event loop open). */
let pool: Worker[] | null = null;
let scanIds = 0;
/** One threaded scan at a time; a second waits for the first (scans are queued jobs anyway). */
let poolBusy: Promise<void> = Promise.resolve();

function threadPool(threads: number): Worker[] {
  if (pool) return pool;
  pool = Array.from({ length: threads }, () => {
    const w = new Worker(THREAD_FILE);
    w.unref();
    w.on("error", () => {
      pool = null; // a broken pool is rebuilt by the next scan
    });
    return w;
  });
  return pool;
}

function threadedScan(opts: ConnectScanOptions, threads: number): ConnectScan {
  const total = opts.addresses.length * opts.ports.length;
  const counters = new Int32Array(new SharedArrayBuffer(4 * threads));
  const perThread = Math.max(1, Math.ceil(opts.concurrency / threads));
  const id = ++scanIds;
  let open = 0;
  let started: Worker[] = [];
  let stopRequested = false;
  const run = async () => {
    const workers = threadPool(threads);
    started = workers;
    await Promise.all(
      workers.map(
        (w, index) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (m: { type: string; id: number; address?: string; port?: number }) => {
              if (m.id !== id) return;
              if (m.type === "open") {
                open++;
                opts.onOpen(m.address!, m.port!);
              } else if (m.type === "done") {
                w.off("message", onMessage);
                w.off("error", onError);
                resolve();
              }
            };
            const onError = (e: Error) => {
              w.off("message", onMessage);
              reject(e);
            };
            w.on("message", onMessage);
            w.once("error", onError);
            w.postMessage({
              type: "scan",
              id,
              addresses: opts.addresses,
              ports: opts.ports,
              start: index,
              stride: threads,
              concurrency: perThread,
              timeoutMs: opts.timeoutMs,
              counters,
              index,
            });
            if (stopRequested) w.postMessage({ type: "stop", id });
          }),
      ),
    );
  };
  const finished = (poolBusy = poolBusy.then(run, run));
  return {
    kind: "tcp_wrap threads",
    get done() {
      let sum = 0;
      for (let i = 0; i < threads; i++) sum += Atomics.load(counters, i);
      return sum;
    },
    get open() {
      return open;
    },
    total,
    stop() {
      stopRequested = true;
      for (const w of started) w.postMessage({ type: "stop", id });
    },
    finished,
  };
}
