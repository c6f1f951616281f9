// Runs one autocannon measurement in its own process, so the load generator never
// shares an event loop with the server it measures. Input: JSON options in argv[2].
// Output: one JSON line with the numbers the benches use.
import autocannon from "autocannon";

const opts = JSON.parse(process.argv[2] ?? "{}") as autocannon.Options;
const result = await autocannon({
  ...opts,
  renderProgressBar: false,
  renderResultsTable: false,
  renderLatencyTable: false,
} as autocannon.Options);
const summary = {
  requests: result.requests.total,
  rps: result.requests.average,
  durationS: result.duration,
  p50: result.latency.p50,
  p90: result.latency.p90,
  p99: result.latency.p99,
  max: result.latency.max,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
};
process.stdout.write(JSON.stringify(summary) + "\n");
