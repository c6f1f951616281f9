// The one TCP connect-scan loop, shared by the main thread and the scanning threads.
// Plain JavaScript so worker threads load it alike under tsx, vitest and the bundle.
//
// Built for probe overhead: the loopback (and most LANs) answer a closed port with an
// instant RST, so a probe's cost is our own work. Probes are port-major (consecutive
// probes hit different hosts, so no host sees a burst); timeouts are one sweep timer over
// a slot table, not a timer per socket; nothing is written anywhere until a port is open.

/**
 * Runs probes start, start + stride, ... of addresses x ports, `concurrency` at a time.
 * `probe(address, port, finish)` starts one connect, calls finish(open) once, and
 * returns an abort function (used on timeout and stop).
 */
export function runShard({ addresses, ports, start = 0, stride = 1, concurrency, timeoutMs, probe, onOpen, onSettled, onDone }) {
  const nAddr = addresses.length;
  const total = nAddr * ports.length;
  const slots = Math.max(1, Math.min(concurrency, Math.ceil(Math.max(0, total - start) / stride)));
  const deadline = new Float64Array(slots);
  const aborts = new Array(slots).fill(null);
  const gens = new Uint32Array(slots);
  let next = start;
  let done = 0;
  let inFlight = 0;
  let stopped = false;
  let over = false;

  const settle = (slot) => {
    aborts[slot] = null;
    gens[slot]++;
    inFlight--;
    done++;
    onSettled?.(done);
    launch(slot);
  };
  const finishIfIdle = () => {
    if (over || inFlight !== 0 || !(stopped || next >= total)) return;
    over = true;
    clearInterval(sweep);
    onDone(done);
  };
  function launch(slot) {
    if (stopped || next >= total) return finishIfIdle();
    const i = next;
    next += stride;
    const address = addresses[i % nAddr];
    const port = ports[(i / nAddr) | 0];
    inFlight++;
    deadline[slot] = performance.now() + timeoutMs;
    const gen = gens[slot];
    const abort = probe(address, port, (open) => {
      if (gens[slot] !== gen) return; // timed out or stopped: already counted
      if (open) onOpen(address, port);
      settle(slot);
    });
    if (gens[slot] === gen) aborts[slot] = abort; // a probe may finish synchronously
  }
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (let s = 0; s < slots; s++) {
        const abort = aborts[s];
        if (abort && (stopped || deadline[s] <= now)) {
          abort();
          settle(s);
        }
      }
      finishIfIdle();
    },
    Math.max(10, Math.min(100, timeoutMs / 4)),
  );
  for (let s = 0; s < slots; s++) launch(s);
  finishIfIdle();
  return {
    get done() {
      return done;
    },
    stop() {
      stopped = true;
    },
  };
}

/**
 * A probe on Node's own TCP handle, without net.Socket's stream and EventEmitter layers:
 * about 3x fewer microseconds per probe (bench/discovery.ts).
 */
export function tcpWrapProbe(binding) {
  return (address, port, finish) => {
    const handle = new binding.TCP(binding.constants.SOCKET);
    const req = new binding.TCPConnectWrap();
    req.oncomplete = (status) => {
      handle.close();
      finish(status === 0);
    };
    if (handle.connect(req, address, port) !== 0) {
      handle.close();
      finish(false);
    }
    return () => handle.close();
  };
}
