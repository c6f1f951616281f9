import type { jobDefinition } from "@ops/domain/schemas/automation-jobs";
import type { paramDefinition } from "@ops/domain/schemas/automation-params";
import type { StepKind } from "@ops/domain/schemas/automation-steps";
import type { workflowEdge, workflowStep } from "@ops/domain/schemas/automation-workflow";
import type { z } from "zod";
import type { FieldErrors } from "../../../app/errors";

/** What the editor holds: the job document as typed, before defaults are filled in. */
export type Draft = z.input<typeof jobDefinition>;
export type StepDraft = z.input<typeof workflowStep>;
export type EdgeDraft = z.input<typeof workflowEdge>;
export type ParamDraft = z.input<typeof paramDefinition>;

export function emptyDraft(): Draft {
  return {
    name: "",
    description: "",
    labels: {},
    params: [],
    selector: { mode: "atLaunch" },
    parallelism: 20,
    failureThreshold: null,
    timeoutSeconds: null,
    exclusive: "off",
    workflow: { version: 1, steps: [newStep("ssh.command", [])], edges: [] },
  };
}

export function newStep(kind: StepKind, taken: string[]): StepDraft {
  let n = taken.length + 1;
  while (taken.includes(`step-${n}`)) n++;
  return { id: `step-${n}`, name: `Step ${n}`, kind, config: kind === "ssh.command" ? { command: "" } : {} };
}

/**
 * The errors under `prefix` ("workflow.steps.2."), keyed by the rest of their path. With
 * `row`, `prefix` names one row ("params.1"): its own errors (key "") and its fields'.
 */
export function scoped(errors: FieldErrors, prefix: string, row = false): FieldErrors {
  const out: FieldErrors = {};
  const p = row ? `${prefix}.` : prefix;
  for (const [k, v] of Object.entries(errors)) {
    if (row && k === prefix) out[""] = v;
    else if (k.startsWith(p)) out[k.slice(p.length)] = v;
  }
  return out;
}

export type Problem = { key: string; where: string; field: string; message: string };

/** Each validation problem with the step (by id) or part of the job it is about, and the field. */
export function problemsOf(draft: Draft, errors: FieldErrors): Problem[] {
  return Object.entries(errors).flatMap(([key, messages]) => {
    const step = /^workflow\.steps\.(\d+)\.?(.*)$/.exec(key);
    const param = /^params\.(\d+)\.?(.*)$/.exec(key);
    const edge = /^workflow\.edges\.(\d+)\.?(.*)$/.exec(key);
    let where = "job";
    let field = key;
    if (step) {
      const s = draft.workflow.steps?.[Number(step[1])];
      where = `step ${s?.id ?? `#${Number(step[1]) + 1}`}`;
      field = step[2] || "step";
    } else if (param) {
      where = `parameter ${draft.params?.[Number(param[1])]?.name || `#${Number(param[1]) + 1}`}`;
      field = param[2] || "parameter";
    } else if (edge) {
      const e = draft.workflow.edges?.[Number(edge[1])];
      where = `edge ${e?.from ?? "?"} -> ${e?.to ?? "?"}`;
      field = edge[2] || "edge";
    }
    return messages.map((message, i) => ({ key: `${key}#${i}`, where, field, message }));
  });
}
