import type { Task, TaskList } from "graphile-worker";
import type { z } from "zod";
import * as sessionsCleanup from "./sessions-cleanup";
// assets tasks: one import line each, added by their owners.
import * as connectionTest from "./connection-test";
import * as discoveryScan from "./discovery-scan";
// automation tasks
import * as automationRunHosts from "./automation-run-hosts";
import * as automationOutputMaintenance from "./automation-output-maintenance";
import * as automationRunScope from "./automation-run-scope";
// communication tasks
import * as communicationDigest from "./communication-digest";
import * as communicationDeliver from "./communication-deliver";
import * as communicationEventsRetention from "./communication-events-retention";
import type { JobAttempt, TaskDeps } from "./types";

type TaskModule = {
  identifier: string;
  payload: z.ZodType;
  handler: (payload: never, deps: TaskDeps, job: JobAttempt) => Promise<void>;
};

/** Every task the workers run (STYLE.md 8). */
export const tasks = [
  sessionsCleanup,
  connectionTest,
  discoveryScan,
  automationRunHosts,
  automationOutputMaintenance,
  automationRunScope,
  communicationDigest,
  communicationDeliver,
  communicationEventsRetention,
] as const satisfies readonly TaskModule[];

export type TaskIdentifier = (typeof tasks)[number]["identifier"];

/** Handlers parse their payload at run time: an old job may not match the new type. */
export function buildTaskList(deps: TaskDeps): TaskList {
  const list: TaskList = {};
  for (const t of tasks as readonly TaskModule[]) {
    const task: Task = async (raw, helpers) => {
      const parsed = t.payload.safeParse(raw ?? {});
      if (!parsed.success) {
        deps.log.error({ task: t.identifier, issues: parsed.error.issues }, "job payload does not match its schema; dropped");
        return;
      }
      await t.handler(parsed.data as never, deps, { attempt: helpers.job.attempts, maxAttempts: helpers.job.max_attempts });
    };
    list[t.identifier] = task;
  }
  return list;
}
