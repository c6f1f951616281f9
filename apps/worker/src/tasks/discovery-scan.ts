import { setTimeout as sleep } from "node:timers/promises";
import { eq } from "drizzle-orm";
import { discoveryAllowedNetworks, discoveryScans } from "@ops/db";
import { claimScan, finishScan, QUEUE_TASKS, planScan, recordResults, reportProgress, type ScanPlan } from "@ops/domain";
import { discover } from "../discovery/discover";
import type { TaskDeps } from "./types";

export const identifier = "assets:discovery-scan";
export const payload = QUEUE_TASKS["assets:discovery-scan"];

/** Progress, results and the cancel flag share one cadence: a few writes a second, never one per probe. */
export const TICK_MS = 250;

export async function handler({ scanId }: { scanId: string }, deps: TaskDeps): Promise<void> {
  const { db, log } = deps;
  const scan = await claimScan(db, scanId);
  if (!scan) return; // gone, finished, or cancelled while queued
  let plan: ScanPlan;
  try {
    // Names are resolved again and the allow-list re-read: either may have changed since the API checked.
    const allowed = await db.select({ cidr: discoveryAllowedNetworks.cidr }).from(discoveryAllowedNetworks);
    plan = await planScan({ specs: scan.specs, ports: scan.ports, allowedCidrs: allowed.map((a) => a.cidr), confirmLarge: true });
  } catch (e) {
    await finishScan(db, scanId, { status: "failed", done: 0, found: 0, error: (e as Error).message });
    return;
  }
  if (plan.probes !== scan.total) await db.update(discoveryScans).set({ total: plan.probes }).where(eq(discoveryScans.id, scanId));

  const run = discover({
    ranges: plan.ranges,
    ports: plan.ports,
    concurrency: scan.concurrency,
    timeoutMs: scan.timeoutMs,
    portableSockets: deps.discovery.portableSockets,
  });
  let recorded = 0;
  let cancelled = false;
  let ended = false;
  void run.finished.then(() => (ended = true));
  const flush = async () => {
    const batch = run.drain();
    await recordResults(db, scanId, batch);
    recorded += batch.length;
    const { cancelRequested } = await reportProgress(db, scanId, run.scan.done, recorded);
    if (cancelRequested && !cancelled) {
      cancelled = true;
      run.stop();
    }
  };
  try {
    while (!ended) {
      await Promise.race([run.finished, sleep(TICK_MS)]);
      await flush();
    }
    await flush();
    await finishScan(db, scanId, { status: cancelled ? "cancelled" : "done", done: run.scan.done, found: recorded });
    log.info(
      { scanId, done: run.scan.done, total: run.scan.total, found: recorded, cancelled, scanner: run.scan.kind },
      "discovery scan finished",
    );
  } catch (e) {
    run.stop();
    log.error({ scanId, err: (e as Error).message }, "discovery scan failed");
    await finishScan(db, scanId, {
      status: "failed",
      done: run.scan.done,
      found: recorded,
      error: "The scan stopped on an internal error; see the worker log",
    });
  }
}
