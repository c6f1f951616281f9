import { randomUUID } from "node:crypto";
import { auditInsert } from "../../audit/append";
import { inTransaction, type VerbArgs } from "../../context";
import { Invalid } from "../../errors";
import { secretParamNames, type ParamDefinition } from "../../schemas/automation-params";
import type { LaunchInput } from "../../schemas/automation-runs";
import { eventActor } from "../../communication/emit-event";
import { assertMayUseCredentials, emitRunCredentialsUsed } from "./credential-use";
import { planLaunch } from "./launch-plan";
import { sealRunParams } from "./run-params";
import { writeRun, type RunToWrite } from "./write-run";

/**
 * Launches a job (issue 7, point 4): its pinned or latest version, values checked against
 * its parameters (the first problem named as `params.<name>`), on the hosts its selector
 * means now. Secret values are sealed to the run row before they are stored; the audit
 * entry shows them as redacted by their parameter type, whatever their name.
 */
export async function launchJob({ ctx, input }: VerbArgs<LaunchInput>) {
  const plan = await planLaunch(ctx, input);
  const { definition } = plan;
  const parsed = plan.values.safeParse(input.params ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ field: ["params", ...i.path.map(String)].join("."), message: i.message }));
    throw new Invalid(problems.map((p) => `${p.field}: ${p.message}`).join("; "), problems[0]!.field);
  }
  const values = parsed.data as Record<string, unknown>;
  if (plan.hosts.length === 0 && !plan.workerOnly) {
    throw new Invalid(`No targets match this job's selector (${plan.selector}): nothing to run on`, "targets");
  }
  assertMayUseCredentials(ctx.principal, plan.hosts, plan.usesBecome);
  const runId = randomUUID();
  const secrets = secretParamNames(definition.params);
  const run: RunToWrite = {
    id: runId,
    kind: "job",
    jobId: plan.jobId,
    jobVersion: plan.version,
    workflow: definition.workflow,
    params: sealRunParams(ctx.services.masterKeys, runId, values, secrets),
    title: definition.name,
    parallelism: definition.parallelism,
    failureThreshold: definition.failureThreshold,
    exclusive: definition.exclusive,
    timeoutSeconds: definition.timeoutSeconds,
    hosts: plan.hosts,
    launchedBy: ctx.principal?.userId ?? null,
  };
  // The run, its queue job and its audit entry are one statement: one round trip, one commit.
  const audit = auditInsert(ctx, {
    action: "automation.runs.launch",
    objectType: "run",
    objectId: runId,
    changes: {
      job: plan.jobId,
      version: plan.version,
      selector: plan.selector,
      hosts: plan.hosts.length,
      params: auditableValues(definition.params, values),
    },
  });
  // A run without hosts signs in nowhere: nothing else to write with it.
  if (plan.hosts.length === 0) {
    await writeRun(ctx.services.db, run, { also: [audit] });
    return { runId, hosts: 0 };
  }
  return inTransaction(ctx, async (tx) => {
    await writeRun(tx, run, { also: [audit] });
    await emitRunCredentialsUsed(tx, {
      runId,
      title: definition.name,
      targetIds: plan.hosts.map((h) => h.id),
      workflow: definition.workflow,
      actor: eventActor(ctx),
    });
    return { runId, hosts: plan.hosts.length };
  });
}

/** Launch values for the audit log: secret parameters redacted by type, not by name. */
function auditableValues(defs: readonly ParamDefinition[], values: Record<string, unknown>): Record<string, unknown> {
  const secret = new Set(secretParamNames(defs));
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secret.has(k) ? "[redacted]" : v]));
}
