// `pnpm bench`: every benchmark in sequence, then one table to paste into README.md.
import { automationOutput, automationSse, automationSteps, automationThousand, automationTrue, automationWaitRuns } from "./automation";
import { commandCost } from "./command-cost";
import { connectionTests } from "./connection-tests";
import { dbOutage } from "./db-outage";
import { discoveryBench } from "./discovery";
import { keyRotation } from "./key-rotation";
import { loginImpact } from "./login-impact";
import { meVsBare } from "./me-vs-bare";
import { notificationsBacklog, notificationsEventToDelivery, notificationsReceiverDown } from "./notifications";
import { runPage } from "./run-page";
import { markdownTable, rows } from "./lib/report";
import { startup } from "./startup";
import { targetList } from "./target-list";
import { cpus, loadavg, totalmem } from "node:os";

console.log(
  `OpsConductor benchmarks, ${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB`,
);
let failed = false;
// `pnpm bench -- name ...` runs only those (e.g. `pnpm bench -- discoveryBench`).
const all = [
  meVsBare,
  loginImpact,
  startup,
  targetList,
  keyRotation,
  connectionTests,
  discoveryBench,
  dbOutage,
  automationTrue,
  automationSteps,
  commandCost,
  automationWaitRuns,
  automationOutput,
  automationSse,
  automationThousand,
  notificationsBacklog,
  notificationsEventToDelivery,
  notificationsReceiverDown,
  runPage,
];
const only = process.argv.slice(2).filter((a) => a !== "--");
for (const bench of only.length ? all.filter((b) => only.includes(b.name)) : all) {
  // Other work on the machine skews every number: say how busy it was.
  console.log(
    `\n(load average before ${bench.name}: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")})`,
  );
  try {
    await bench();
  } catch (e) {
    failed = true;
    console.error(`  ${bench.name} could not run: ${(e as Error).stack ?? e}`);
    rows.push({ bench: bench.name, metric: "run", value: `error: ${(e as Error).message}`, pass: false });
  }
}
console.log("\n" + markdownTable());
const misses = rows.filter((r) => r.pass === false).length;
console.log(`\n${misses === 0 && !failed ? "All targets met." : `${misses} target(s) missed.`}`);
// Report, do not gate: a missed target is information for the README, not a crash.
process.exit(0);
