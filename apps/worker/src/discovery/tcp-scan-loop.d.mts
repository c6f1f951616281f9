export type Probe = (address: string, port: number, finish: (open: boolean) => void) => () => void;

export type TcpBinding = {
  TCP: new (type: number) => unknown;
  TCPConnectWrap: new () => unknown;
  constants: { SOCKET: number };
};

export function runShard(opts: {
  addresses: readonly string[];
  ports: readonly number[];
  start?: number;
  stride?: number;
  concurrency: number;
  timeoutMs: number;
  probe: Probe;
  onOpen: (address: string, port: number) => void;
  onSettled?: (done: number) => void;
  onDone: (done: number) => void;
}): { readonly done: number; stop(): void };

export function tcpWrapProbe(binding: TcpBinding): Probe;
