import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import ssh2 from "ssh2";
import { runHosts, runHostSteps, runOutputCursors, runs, targets } from "@ops/db";
import { automationRunSchemas, enqueueTasks, seal, type SealBinding, type WorkflowDocument } from "@ops/domain";
import type { TestApp } from "../../../api/test/helpers/harness";
import type { TestUsers } from "../../../../tooling/test/sshd";

/**
 * Small factories for tests of running, cancelling, rerunning and resuming runs against
 * real sshd targets (apps/worker/test/automation-control.test.ts).
 */
type Admin = Awaited<ReturnType<TestApp["adminCaller"]>>;
const DONE = ["succeeded", "failed", "cancelled", "timed_out"];

/** A target on 127.0.0.1:`port` signing in with `credentialId`. */
export async function createTarget(app: TestApp, o: Partial<typeof targets.$inferInsert> & { port: number; credentialId: string }) {
  const [t] = await app.db
    .insert(targets)
    .values({ name: `ctl-${Math.random().toString(36).slice(2, 8)}`, address: "127.0.0.1", ...o })
    .returning();
  return t!;
}

/** Polls the run through the API until it has finished. */
export async function finishedRun(admin: Admin, runId: string): Promise<automationRunSchemas.RunView> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const run = await admin.automation.runs.get({ runId });
    if (DONE.includes(run.state)) return run;
    if (Date.now() > deadline) throw new Error(`run not finished in time: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A run of a saved job's version 1 on `targetIds`, written the way a launch writes it
 * (hosts, one host-step per step, output cursor, dispatch in one transaction).
 */
export async function createJobRun(
  app: TestApp,
  admin: Admin,
  o: {
    workflow: WorkflowDocument;
    targetIds: string[];
    parallelism?: number;
    params?: Record<string, string>;
    /** Stored sealed, bound to the run as a launch binds them. */
    secrets?: Record<string, string>;
  },
) {
  const { job } = await admin.automation.jobs.create({ name: `ctl job ${Math.random().toString(36).slice(2, 8)}`, workflow: o.workflow });
  const workflow = job.version.definition.workflow;
  const names = await app.db.execute<{ id: string; name: string }>(
    sql`SELECT id, name FROM assets.targets WHERE id IN (SELECT json_array_elements_text(${JSON.stringify(o.targetIds)}::json)::uuid)`,
  );
  const runId = randomUUID();
  const sealed = Object.fromEntries(
    Object.entries(o.secrets ?? {}).map(([name, v]) => [name, { $sealed: seal(app.services.masterKeys, v, runParamBinding(runId, name)) }]),
  );
  return app.db.transaction(async (tx) => {
    await tx.insert(runs).values({
      id: runId,
      kind: "job",
      jobId: job.id,
      jobVersion: 1,
      workflow: workflow as unknown as Record<string, unknown>,
      params: { ...o.params, ...sealed },
      title: job.version.definition.name,
      parallelism: o.parallelism ?? 10,
      hostsTotal: o.targetIds.length,
      hostStepsTotal: o.targetIds.length * workflow.steps.length,
      launchedBy: app.admin.id,
    });
    await tx
      .insert(runHosts)
      .values(
        o.targetIds.map((targetId, ordinal) => ({ runId, ordinal, targetId, targetName: names.find((n) => n.id === targetId)!.name })),
      );
    await tx
      .insert(runHostSteps)
      .values(o.targetIds.flatMap((_, ordinal) => workflow.steps.map((s) => ({ runId, ordinal, stepId: s.id }))));
    await tx.insert(runOutputCursors).values({ runId });
    await enqueueTasks(tx, "automation:run-hosts", [{ runId }]);
    return { runId, jobId: job.id };
  });
}

/** Where a launch binds a sealed launch value (ADR 0012): to its run and its name. */
export function runParamBinding(runId: string, name: string): SealBinding {
  return { table: "automation.runs", column: `params.${name}`, rowId: runId };
}

/** An ssh.command step for a workflow document. */
export function commandStep(id: string, command: string) {
  return {
    id,
    name: id,
    kind: "ssh.command",
    config: { command, become: false, env: {}, pty: false },
    retries: { count: 0, backoffSeconds: 5, factor: 2 },
    continueOnError: false,
    disabled: false,
    idempotent: false,
    join: "all" as const,
  };
}

/**
 * Runs `command` on the target over a connection of its own (not the worker's), as the
 * test user: how a test looks at the target, e.g. `pgrep -f`.
 */
export function onTarget(port: number, users: TestUsers, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on("error", reject);
    c.on("ready", () => {
      c.exec(command, (err, ch) => {
        if (err) return (c.end(), reject(err));
        let out = "";
        ch.on("data", (d: Buffer) => (out += d.toString()));
        ch.stderr.on("data", () => {});
        ch.on("close", () => (c.end(), resolve(out)));
      });
    });
    c.connect({ host: "127.0.0.1", port, username: users.user, privateKey: users.privateKey, readyTimeout: 20_000 });
  });
}

/** Command lines of the target's processes that match `pattern` (an extended regex for pgrep -f). */
export async function processesOnTarget(port: number, users: TestUsers, pattern: string): Promise<string[]> {
  // The [x] trick keeps the pgrep's own shell (if any) from matching its pattern.
  const out = await onTarget(port, users, `pgrep -a -f '${pattern}' || true`);
  return out.split("\n").filter(Boolean);
}
