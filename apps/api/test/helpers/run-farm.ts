import { and, eq, inArray, sql } from "drizzle-orm";
import { runs, targets, type Executor } from "@ops/db";
import { randomUUID } from "node:crypto";
import { automationRunSchemas, enqueueTasks, seal, writeRun, type RunToWrite, type SealBinding } from "@ops/domain";
import { workflowDocument } from "@ops/domain/schemas/automation-workflow";
import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../../tooling/test/sshd";
import type { TestApp } from "./harness";

/** Credentials every farm has, by name (usernames and secrets of the test users). */
export type FarmCredential = "key" | "password" | "wrong" | "nosudo" | "become" | "becomeBad" | "becomeNosudo";

export type RunFarm = Awaited<ReturnType<typeof createRunFarm>>;

let seq = 0;

/**
 * A farm of real OpenSSH sshd targets on 127.0.0.1 for run tests: `sshds` servers (host
 * key types in turn ed25519, rsa), the standard credentials created through the API,
 * and `hosts` targets spread over the servers, signing in with the key. `makeTarget`
 * adds more (e.g. with a password, a become credential or a dead port).
 */
export async function createRunFarm(app: TestApp, opts: { hosts?: number; sshds?: number; labels?: Record<string, string> } = {}) {
  const users: TestUsers = await ensureTestUser();
  const admin = await app.adminCaller();
  const sshds: TestSshd[] = await Promise.all(
    Array.from({ length: opts.sshds ?? 1 }, (_, i) => startSshd({ hostKeyType: i % 2 ? "rsa" : "ed25519" })),
  );
  const specs: [FarmCredential, "ssh_key" | "ssh_password" | "become_password", string, string][] = [
    ["key", "ssh_key", users.user, users.privateKey],
    ["password", "ssh_password", users.user, users.password],
    ["wrong", "ssh_password", users.user, "not-the-password"],
    ["nosudo", "ssh_password", users.nosudoUser, users.nosudoPassword],
    ["become", "become_password", "", users.password],
    ["becomeBad", "become_password", "", "not-the-password"],
    ["becomeNosudo", "become_password", "", users.nosudoPassword],
  ];
  const prefix = `farm${++seq}-${Math.random().toString(36).slice(2, 6)}`;
  const creds = {} as Record<FarmCredential, string>;
  for (const [name, kind, username, secret] of specs) {
    creds[name] = (await admin.assets.credentials.create({ name: `${prefix}-${name}`, kind, username, description: "", secret })).id;
  }
  let n = 0;
  /** A target on the farm (the first sshd unless `port` says otherwise), signing in with the key. */
  async function makeTarget(o: Partial<typeof targets.$inferInsert> = {}) {
    const [t] = await app.db
      .insert(targets)
      .values({
        name: `${prefix}-${++n}`,
        address: "127.0.0.1",
        port: sshds[(n - 1) % sshds.length]!.port,
        credentialId: creds.key,
        ...o,
      })
      .returning();
    return t!;
  }
  const hosts = [];
  for (let i = 0; i < (opts.hosts ?? 0); i++) hosts.push(await makeTarget({ labels: opts.labels ?? {} }));
  return {
    users,
    sshds,
    creds,
    hosts,
    makeTarget,
    async stop() {
      await Promise.all(sshds.map((s) => s.stop()));
    },
  };
}

/**
 * Polls the run through the API until it has finished (bounded, generous for a busy
 * machine) and answers it. Errors (e.g. while the database is away) are retried until
 * the time is up.
 */
export async function finishedRun<R extends { state: string }>(
  admin: { automation: { runs: { get(input: { runId: string }): Promise<R> } } },
  runId: string,
  timeoutMs = 90_000,
): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const run = await admin.automation.runs.get({ runId });
      if ((automationRunSchemas.TERMINAL_RUN_STATES as readonly string[]).includes(run.state)) return run;
      last = run;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`run ${runId} not finished in ${timeoutMs} ms: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A step result as a worker reports it (finishHostStep, finishRunStep): a plain success unless `o` says otherwise. */
export function createStepResult(o: Partial<{ state: "succeeded" | "failed"; exitCode: number | null; error: string | null }> = {}) {
  return {
    state: "succeeded" as const,
    exitCode: 0,
    error: null,
    outputLines: 0,
    outputBytes: 0,
    truncated: false,
    captured: null,
    ...o,
  };
}

/**
 * Requests cancellation of the running runs titled `title` the way the engine reads it
 * (`cancel_requested_at`; workers see it at their next lease renewal). Answers the ids.
 */
export async function requestCancel(app: TestApp, title: string): Promise<string[]> {
  const rows = await app.db
    .update(runs)
    .set({ cancelRequestedAt: sql`now()` })
    .where(and(eq(runs.title, title), eq(runs.state, "running")))
    .returning({ id: runs.id });
  return rows.map((r) => r.id);
}

/**
 * The farm in the shape the engine-semantics tests use: `size` sshd processes, the key
 * credential's id, and `targets(n)` spread over the servers.
 */
export async function startRunFarm(app: TestApp, size = 1) {
  const farm = await createRunFarm(app, { sshds: size });
  return {
    ...farm,
    credentialId: farm.creds.key,
    /** `n` targets, spread over the farm's sshd processes. */
    async targets(n: number, o: Partial<typeof targets.$inferInsert> = {}) {
      const rows = [];
      for (let i = 0; i < n; i++) rows.push(await farm.makeTarget(o));
      return rows;
    },
  };
}

/** Where a launch binds a sealed launch value (ADR 0012): to its run and its name. */
export function runParamBinding(runId: string, name: string): SealBinding {
  return { table: "automation.runs", column: `params.${name}`, rowId: runId };
}

/** A workflow step in a few words: an `ssh.command` with the schema's defaults. */
export function commandStep(id: string, command: string, o: { idempotent?: boolean; timeoutSeconds?: number } = {}) {
  return { id, name: id, kind: "ssh.command", config: { command, become: false, env: {}, pty: false }, ...o };
}

/**
 * A run of a given workflow document on given targets (`targets` rows, or `targetIds`
 * looked up in that order), written the way launches and ad-hoc commands write theirs
 * (domain `writeRun`): ad-hoc by default, or `kind: "job"` with `jobId`/`jobVersion`,
 * `params` (as stored) and `secrets` (sealed here), `parentRunId`, a chosen `id`. `dispatch` sets how many
 * `automation:run-hosts` tasks it gets, so several workers share even a small run;
 * `dispatch: 0` writes it with none, as if its task had been lost. `tx` writes it in the
 * caller's transaction.
 */
export async function createTestRun(
  app: TestApp,
  o: Partial<Omit<RunToWrite, "workflow" | "hosts">> & {
    /** As authored: defaults (names, retries, edges on success, ...) are filled in by the schema. */
    workflow: unknown;
    targets?: { id: string; name: string }[];
    targetIds?: string[];
    /** Launch values stored sealed, bound to the run as a launch binds them (beside `params`). */
    secrets?: Record<string, string>;
    dispatch?: number;
    tx?: Executor;
  },
) {
  const { workflow: authored, targets: given, targetIds, secrets, dispatch, tx: outer, ...run } = o;
  const workflow = workflowDocument.parse(authored);
  const id = run.id ?? randomUUID();
  const sealed = Object.fromEntries(
    Object.entries(secrets ?? {}).map(([name, v]) => [name, { $sealed: seal(app.services.masterKeys, v, runParamBinding(id, name)) }]),
  );
  const write = async (tx: Executor) => {
    let hosts = given ?? [];
    if (targetIds) {
      const found = await tx.select({ id: targets.id, name: targets.name }).from(targets).where(inArray(targets.id, targetIds));
      hosts = targetIds.map((id) => found.find((t) => t.id === id)!);
    }
    const written = await writeRun(tx, {
      ...run,
      id,
      kind: run.kind ?? "adhoc",
      title: run.title ?? `test run ${workflow.steps.map((s) => s.id).join(",")}`,
      parallelism: run.parallelism ?? 50,
      launchedBy: run.launchedBy ?? null,
      timeoutSeconds: run.timeoutSeconds === undefined ? 600 : run.timeoutSeconds,
      failureThreshold: run.failureThreshold ?? null,
      exclusive: run.exclusive ?? "off",
      params: { ...run.params, ...sealed },
      workflow,
      hosts: hosts.map((t) => ({ id: t.id, name: t.name })),
    });
    if (dispatch === 0) await tx.execute(sql`DELETE FROM graphile_worker._private_jobs WHERE payload->>'runId' = ${written.runId}`);
    else if (dispatch && dispatch > 1)
      await enqueueTasks(
        tx,
        "automation:run-hosts",
        Array.from({ length: dispatch - 1 }, () => ({ runId: written.runId })),
      );
    return written;
  };
  return outer ? write(outer) : app.db.transaction(write);
}
