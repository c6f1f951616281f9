import { eq } from "drizzle-orm";
import { z } from "zod";
import { users } from "@ops/db";
import {
  claimRunHosts,
  finishRunHostAndClaim,
  LEASE_RENEW_MS,
  openRunParams,
  RUN_HOST_BATCH,
  renewHostLeases,
  systemContext,
  timeOutRun,
  type ClaimedRun,
  type HostLease,
} from "@ops/domain";
import { whileUnreachable } from "../engine/db-retry";
import { createOutputBuffer } from "../engine/output-buffer";
import { RUN_DEADLINE } from "../engine/deadline";
import { watchRunCancel } from "../engine/cancel-watch";
import { runHost } from "../engine/run-host";
import type { TaskDeps } from "./types";

export const identifier = "automation:run-hosts";
export const payload = z.object({ runId: z.uuid() });

const IDLE_POLL_MS = 500;

/**
 * Works on one run until nothing is left to claim (ADR 0012): claims a batch of hosts
 * under a lease, runs them concurrently (the run's parallelism is enforced by the claim),
 * renews the leases while working, and claims again. Several of these share a large run.
 */
export async function handler({ runId }: z.infer<typeof payload>, deps: TaskDeps): Promise<void> {
  const ctx = systemContext(deps, `worker ${deps.workerId}`);
  const running = new Map<number, { lease: HostLease; abort: AbortController }>();
  const output = createOutputBuffer({
    ctx,
    runId,
    capBytes: deps.output?.stepCapBytes,
    onLost: (ordinal, dropped) => {
      deps.log.warn({ runId, ordinal, dropped }, "host lease taken over: its unstored output lines were dropped and its work stops here");
      running.get(ordinal)?.abort.abort();
    },
    onError: (e) => deps.log.warn({ runId, err: e instanceof Error ? e.message : String(e) }, "run output not stored yet; retrying"),
  });
  const renew = setInterval(() => {
    const leases = [...running.values()].map((r) => r.lease);
    renewHostLeases({ ctx, input: { workerId: deps.workerId, leases } })
      .then(({ held, cancelled }) => {
        if (cancelled.has(runId)) for (const r of running.values()) r.abort.abort();
        // Only the leases this renewal asked about: a host claimed while it was on its way
        // is not in `held`, and must not be stopped for that.
        const still = new Set(held.map((l) => `${l.ordinal}:${l.epoch}`));
        for (const lease of leases) {
          const r = running.get(lease.ordinal);
          if (r && r.lease.epoch === lease.epoch && !still.has(`${lease.ordinal}:${lease.epoch}`)) r.abort.abort();
        }
      })
      .catch((e: Error) => deps.log.warn({ runId, err: e.message }, "lease renewal failed"));
  }, LEASE_RENEW_MS);
  // At the run's deadline: the run is timed out (by the database's clock, so retried until
  // due), then every host here is aborted with RUN_DEADLINE (ADR 0012 "Timeouts").
  let deadline: NodeJS.Timeout | undefined;
  let pastDeadline = false;
  const armDeadline = (at: Date) => {
    const fire = () => {
      const left = at.getTime() - Date.now();
      if (left > 0) return void (deadline = setTimeout(fire, Math.min(left, 2 ** 31 - 1)));
      timeOutRun({ ctx, input: { runId } })
        .then((timedOut) => {
          if (!timedOut) return void (deadline = setTimeout(fire, 1_000));
          pastDeadline = true;
          for (const r of running.values()) r.abort.abort(RUN_DEADLINE);
        })
        .catch(() => void (deadline = setTimeout(fire, 1_000)));
    };
    fire();
  };
  let cancelRequested = false;
  // The fast path for cancel: polled every second across this worker's runs.
  const unwatch = watchRunCancel(
    ctx,
    runId,
    () => {
      cancelRequested = true;
      for (const r of running.values()) r.abort.abort();
    },
    (e) => deps.log.warn({ runId, err: e instanceof Error ? e.message : String(e) }, "cancel poll failed"),
  );
  let actor: { userId: string; label: string } | null | undefined;
  let values: Awaited<ReturnType<typeof openRunParams>> | undefined;
  let parallelism = Infinity;
  const work = new Set<Promise<void>>();
  // Woken when a slot frees that no finish handed on (a host parked, lost, or the run has
  // nothing left for it to claim), so the loop claims again or ends.
  let wake!: () => void;
  let woken = new Promise<void>((r) => (wake = r));
  const rouse = () => wake();

  const start = (claimed: ClaimedRun) => {
    // Ad-hoc commands are literal shell text: only job steps are templates.
    const template = values!.kind === "job" ? { title: values!.title, params: values!.params, secrets: values!.secrets } : null;
    for (const host of claimed.hosts) {
      const abort = new AbortController();
      if (pastDeadline) abort.abort(RUN_DEADLINE);
      if (cancelRequested) abort.abort(); // claimed in the moment the cancel was seen
      running.set(host.ordinal, { lease: host, abort });
      let next: ClaimedRun | null = null;
      const task = (async () => {
        const outcome = await runHost({
          ctx,
          lease: host,
          targetId: host.targetId,
          workflow: claimed.workflow,
          actor: actor ?? null,
          output,
          signal: abort.signal,
          template,
        });
        await output.flushHost(host.ordinal);
        if (outcome && outcome.state !== "parked") {
          const { state, error } = outcome;
          // The host's slot goes to the next host in the same transaction (ADR 0012).
          const max = pastDeadline || cancelRequested ? 0 : RUN_HOST_BATCH - running.size + 1;
          ({ next } = await whileUnreachable(() => finishRunHostAndClaim({ ctx, input: { lease: host, state, error, max } })));
        }
      })()
        .catch((e: Error) =>
          deps.log.error(
            { runId, ordinal: host.ordinal, err: e.message },
            "host run failed; its lease will expire and another worker takes it",
          ),
        )
        .finally(() => {
          running.delete(host.ordinal);
          work.delete(task);
          if (next?.hosts.length) start(next);
          else rouse();
        });
      work.add(task);
    }
  };

  try {
    for (;;) {
      const claimed = await whileUnreachable(() =>
        claimRunHosts({ ctx, input: { runId, workerId: deps.workerId, max: RUN_HOST_BATCH - running.size } }),
      );
      if (!claimed) break; // finished, cancelled, timed out or gone
      parallelism = claimed.parallelism;
      if (claimed.deadlineAt && !deadline) armDeadline(new Date(claimed.deadlineAt));
      if (actor === undefined) actor = await launcher(deps, claimed.launchedBy);
      // Secret values are opened here, on the worker only, and masked in this run's output.
      values ??= await openRunParams({ ctx, input: { runId } });
      start(claimed);
      if (claimed.hosts.length === 0 && claimed.remaining === 0 && running.size === 0) break;
      // Claim again when a slot frees that no finish handed on, or every IDLE_POLL_MS for
      // slots freed elsewhere and expired leases; never while this worker fills the run.
      do {
        await Promise.race([woken, sleep(IDLE_POLL_MS)]);
        woken = new Promise<void>((r) => (wake = r));
      } while (running.size >= parallelism && !cancelRequested && !pastDeadline);
    }
    // Hosts still running hand nothing on (the run is over): wait for their ends.
    while (work.size) await Promise.all([...work]);
  } finally {
    clearInterval(renew);
    clearTimeout(deadline);
    unwatch();
    for (const r of running.values()) r.abort.abort();
    await output.close();
  }
}

async function launcher(deps: TaskDeps, userId: string | null) {
  if (!userId) return null;
  const [u] = await deps.db.select({ email: users.email }).from(users).where(eq(users.id, userId)).limit(1);
  return { userId, label: u?.email ?? "deleted user" };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
