import net from "node:net";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { runShard, tcpWrapProbe, type Probe, type TcpBinding } from "./tcp-scan-loop.mjs";

/**
 * A TCP connect scan with bounded concurrency and per-probe timeouts. The loop itself is
 * tcp-scan-loop.mjs, shared with the scanning threads; this module picks the probe
 * (tcp_wrap or net.Socket) and whether a scan runs here or across threads.
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
  const total = opts.addresses.length * opts.ports.length;
  if (binding && THREADS > 1 && total >= (opts.threadsFrom ?? 10_000)) return threadedScan(opts, THREADS);
  let open = 0;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  const shard = runShard({
    addresses: opts.addresses,
    ports: opts.ports,
    concurrency: opts.concurrency,
    timeoutMs: opts.timeoutMs,
    probe: binding ? tcpWrapProbe(binding) : netSocketProbe,
    onOpen(address, port) {
      open++;
      opts.onOpen(address, port);
    },
    onDone: () => resolveFinished(),
  });
  return {
    kind: binding ? "tcp_wrap" : "net.Socket",
    get done() {
      return shard.done;
    },
    get open() {
      return open;
    },
    total,
    stop: () => shard.stop(),
    finished,
  };
}

/** The portable probe: a net.Socket per connect. */
const netSocketProbe: Probe = (address, port, finish) => {
  const socket = net.connect({ host: address, port });
  socket.once("connect", () => {
    socket.destroy();
    finish(true);
  });
  socket.on("error", () => finish(false));
  return () => socket.destroy();
};

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
