import type { DiscoveredPort } from "@ops/domain";
import { formatIpv4, type AddressRange } from "@ops/domain";
import { reverseDns } from "./reverse-dns";
import { probeSsh } from "./ssh-probe";
import { connectScan, type ConnectScan } from "./tcp-scan";

export type DiscoverOptions = {
  ranges: AddressRange[];
  ports: number[];
  concurrency: number;
  /** Per TCP connect. */
  timeoutMs: number;
  /** Whole SSH exchange on an open port; default max(2 s, 2 x timeoutMs). */
  sshTimeoutMs?: number;
  reverseDnsTimeoutMs?: number;
  /** Passed to the TCP scan: net.Socket instead of tcp_wrap. Default false. */
  portableSockets?: boolean;
};

export type Discovery = {
  readonly scan: ConnectScan;
  /** Findings since the last call (the caller writes them in one batch). */
  drain(): DiscoveredPort[];
  /** Open ports found so far, probed or not. */
  readonly openPorts: number;
  stop(): void;
  /** Resolves when every probe and every SSH exchange has ended. */
  readonly finished: Promise<void>;
};

/** SSH handshakes in flight: cheap for us, but sshd drops past MaxStartups (10 by default). */
const SSH_CONCURRENCY = 32;
const SSH_PER_ADDRESS = 4;

export function expandRanges(ranges: AddressRange[]): string[] {
  const out: string[] = [];
  for (const r of ranges) for (let a = r.start; a <= r.end; a++) out.push(formatIpv4(a));
  return out;
}

/**
 * The worker's scan: a TCP connect sweep, and for each open port an SSH probe (banner,
 * verified host key) and a reverse-DNS lookup, bounded per address and overall.
 * No I/O besides the network: the task decides when to write (bench/discovery.ts calls this directly).
 */
export function discover(opts: DiscoverOptions): Discovery {
  const sshTimeoutMs = opts.sshTimeoutMs ?? Math.max(2000, opts.timeoutMs * 2);
  const dnsTimeoutMs = opts.reverseDnsTimeoutMs ?? 1000;
  const found: DiscoveredPort[] = [];
  const queue: { address: string; port: number }[] = [];
  const perAddress = new Map<string, number>();
  const names = new Map<string, Promise<string | null>>();
  let active = 0;
  let openPorts = 0;
  let stopped = false;
  let scanEnded = false;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));

  const maybeFinish = () => {
    if (scanEnded && active === 0 && queue.length === 0) resolveFinished();
  };

  const pump = () => {
    for (let i = 0; i < queue.length && active < SSH_CONCURRENCY;) {
      const item = queue[i]!;
      const n = perAddress.get(item.address) ?? 0;
      if (n >= SSH_PER_ADDRESS) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      perAddress.set(item.address, n + 1);
      active++;
      void probe(item.address, item.port).finally(() => {
        active--;
        const left = (perAddress.get(item.address) ?? 1) - 1;
        if (left) perAddress.set(item.address, left);
        else perAddress.delete(item.address);
        pump();
        maybeFinish();
      });
    }
  };

  const probe = async (address: string, port: number) => {
    let name = names.get(address);
    if (!name) names.set(address, (name = reverseDns(address, dnsTimeoutMs)));
    const [ssh, reverse] = await Promise.all([probeSsh(address, port, sshTimeoutMs), name]);
    found.push({
      address,
      port,
      banner: ssh.banner,
      hostKeyType: ssh.hostKeyType,
      hostKeyFingerprint: ssh.hostKeyFingerprint,
      reverseDns: reverse,
    });
  };

  const scan = connectScan({
    addresses: expandRanges(opts.ranges),
    ports: opts.ports,
    concurrency: opts.concurrency,
    timeoutMs: opts.timeoutMs,
    portableSockets: opts.portableSockets ?? false,
    onOpen(address, port) {
      openPorts++;
      queue.push({ address, port });
      pump();
    },
  });
  void scan.finished.then(() => {
    scanEnded = true;
    if (stopped) flushQueueUnprobed();
    maybeFinish();
  });

  // Cancelled: ports already seen open are still reported, just without an SSH probe.
  const flushQueueUnprobed = () => {
    for (const q of queue.splice(0)) found.push({ ...q, banner: null, hostKeyType: null, hostKeyFingerprint: null, reverseDns: null });
  };

  return {
    scan,
    drain: () => found.splice(0),
    get openPorts() {
      return openPorts;
    },
    stop() {
      stopped = true;
      scan.stop();
      flushQueueUnprobed();
    },
    finished,
  };
}
