import type { JobDefinition } from "../../schemas/automation-jobs";
import { launchValuesSchema } from "../../schemas/automation-params";
import { checkWorkflow } from "../../schemas/automation-workflow";

/**
 * What a launch derives from a saved job version and nothing else: its workflow checked
 * (zod and the workflow rules) and the schema of its launch values. A launch used to
 * rebuild both every time, about a tenth of its CPU (bench/README.md). A version is never
 * changed (a save writes a new one), so an entry keyed by job, version and the version's
 * content hash can never be stale. What the database can change later is not kept here
 * and is read by every launch: the job row itself (deleted, latest version), the step
 * library that template and job steps point at, notification channels, targets,
 * credentials and permissions.
 */
export type SavedVersion = {
  version: number;
  hash: string;
  /** The version's own selector (a launch may guess its hosts' query from it: launch-plan.ts). */
  selector: JobDefinition["selector"];
  /** checkWorkflow of the saved workflow; frozen, shared by every launch of the version. */
  workflow: ReturnType<typeof checkWorkflow>;
  values: ReturnType<typeof launchValuesSchema>;
};

/** Versions kept per process: a bound, not a working set any real fleet reaches. */
const KEEP = 500;
const kept = new Map<string, SavedVersion>();
/** The version each job was last launched (or previewed) at, here. */
const lastPlanned = new Map<string, SavedVersion>();

export function savedVersionOf(row: { jobId: string; version: number; hash: string; definition: unknown }): SavedVersion {
  const key = `${row.jobId}:${row.version}:${row.hash}`;
  const hit = kept.get(key);
  if (hit) {
    // Least recently used goes first: a hit moves to the end.
    kept.delete(key);
    kept.set(key, hit);
    return hit;
  }
  const definition = row.definition as JobDefinition;
  const entry: SavedVersion = {
    version: row.version,
    hash: row.hash,
    selector: deepFreeze(structuredClone(definition.selector)),
    workflow: deepFreeze(checkWorkflow(definition.workflow, definition.params)),
    values: launchValuesSchema(definition.params),
  };
  kept.set(key, entry);
  if (kept.size > KEEP) kept.delete(kept.keys().next().value!);
  return entry;
}

/** The version this process last planned a launch of the job at: a guess at its latest, checked by the read that uses it. */
export function lastPlannedVersion(jobId: string): SavedVersion | undefined {
  return lastPlanned.get(jobId);
}

export function rememberPlanned(jobId: string, version: SavedVersion): void {
  lastPlanned.delete(jobId);
  lastPlanned.set(jobId, version);
  if (lastPlanned.size > KEEP) lastPlanned.delete(lastPlanned.keys().next().value!);
}

/** Shared between launches, so nothing may change it in place. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
