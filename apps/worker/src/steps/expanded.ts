import { failed, type StepHandler } from "./types";

/**
 * `job` and `template` steps are replaced by the steps they stand for when a run is
 * launched (expandWorkflow, ADR 0012), so a run never hands one to a worker. A run
 * written some other way gets a failed step that says so rather than a silent skip.
 */
function expandedAtLaunch<K extends "job" | "template">(kind: K): StepHandler<K> {
  return {
    kind,
    async run() {
      return failed(`a ${kind} step is expanded when the run is launched; this run was written without expanding it`);
    },
  };
}
export const job = expandedAtLaunch("job");
export const template = expandedAtLaunch("template");
