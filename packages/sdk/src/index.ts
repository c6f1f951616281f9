export { createOpsClient, type OpsClient, type OpsClientOptions, type OpsInputs, type OpsOutputs } from "./client";
export { OpsError, toOpsError } from "./ops-error";
export { followRun, type FollowItem, type RunEndState, type RunOutputLine } from "./follow-run";
import { followRun } from "./follow-run";
/** Run helpers: `runs.follow(client, runId)` streams a run's output to its end. */
export const runs = { follow: followRun };
