// A scanning thread, kept for the life of the process: each message { type: "scan" }
// runs one shard of a TCP connect scan (probes start, start + stride, ...) with the
// shared loop, and reports progress through a shared counter.
import { parentPort } from "node:worker_threads";
import { runShard, tcpWrapProbe } from "./tcp-scan-loop.mjs";

const probe = tcpWrapProbe(process.binding("tcp_wrap"));
let current = null;

parentPort.on("message", (m) => {
  if (m.type === "stop" && current?.id === m.id) current.shard?.stop();
  if (m.type !== "scan") return;
  const { id, counters, index } = m;
  const entry = { id, shard: null };
  current = entry;
  entry.shard = runShard({
    ...m,
    probe,
    onOpen: (address, port) => parentPort.postMessage({ type: "open", id, address, port }),
    onSettled: (done) => {
      if ((done & 63) === 0) Atomics.store(counters, index, done);
    },
    onDone: (done) => {
      Atomics.store(counters, index, done);
      if (current === entry) current = null;
      parentPort.postMessage({ type: "done", id });
    },
  });
});
