import { z } from "zod";
import { LABEL_KEY, LABEL_KEY_MESSAGE, LABEL_VALUE } from "./assets-targets";

/**
 * Which targets a job runs on (issue 7, point 1): fixed targets, groups (with their
 * descendants), a label expression, or "choose at launch". Browser-safe.
 */

/** One term of a label expression. */
export type LabelTerm =
  | { op: "eq"; key: string; value: string }
  | { op: "ne"; key: string; value: string }
  | { op: "exists"; key: string }
  | { op: "absent"; key: string };

/**
 * `env=prod,role!=db,backup,!decommissioned`: every term must hold (AND). `key=value`,
 * `key!=value` (also true when the key is absent), `key` (has the label), `!key` (has
 * not). Values cannot hold a comma; whitespace around terms is ignored.
 */
export function parseLabelExpression(expression: string): { terms: LabelTerm[] } | { error: string } {
  const parts = expression
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0) return { error: "Write at least one term, e.g. env=prod" };
  if (parts.length > 20) return { error: "At most 20 terms" };
  const terms: LabelTerm[] = [];
  for (const part of parts) {
    const ne = part.indexOf("!=");
    const eq = part.indexOf("=");
    let term: LabelTerm;
    if (ne > 0 && (eq === -1 || ne < eq)) term = { op: "ne", key: part.slice(0, ne).trim(), value: part.slice(ne + 2).trim() };
    else if (eq > 0) term = { op: "eq", key: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
    else if (part.startsWith("!")) term = { op: "absent", key: part.slice(1).trim() };
    else if (eq === 0 || ne === 0) return { error: `"${part}": a term needs a label key before = or !=` };
    else term = { op: "exists", key: part };
    if (!LABEL_KEY.test(term.key)) return { error: `"${part}": ${LABEL_KEY_MESSAGE}` };
    if ("value" in term && !LABEL_VALUE.test(term.value))
      return { error: `"${part}": label values are at most 200 characters, without ; or line breaks` };
    terms.push(term);
  }
  return { terms };
}

/** Whether a target's labels satisfy every term (the same rule the database query applies). */
export function matchesLabelTerms(labels: Record<string, string>, terms: readonly LabelTerm[]): boolean {
  return terms.every((t) => {
    const has = Object.hasOwn(labels, t.key);
    switch (t.op) {
      case "eq":
        return has && labels[t.key] === t.value;
      case "ne":
        return !has || labels[t.key] !== t.value;
      case "exists":
        return has;
      case "absent":
        return !has;
    }
  });
}

export const labelExpression = z
  .string()
  .trim()
  .max(2000, "At most 2000 characters")
  .superRefine((value, ctx) => {
    const parsed = parseLabelExpression(value);
    if ("error" in parsed) ctx.addIssue({ code: "custom", message: parsed.error });
  });

const ids = (what: string) =>
  z
    .array(z.uuid({ message: "Must be a valid id" }))
    .min(1, `Pick at least one ${what}`)
    .max(5000, `At most 5000 ${what}s`);

export const targetSelector = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("targets"), targetIds: ids("target") }),
  z.object({ mode: z.literal("groups"), groupIds: ids("group") }),
  z.object({ mode: z.literal("labels"), expression: labelExpression }),
  /** The launcher picks targets (any of the modes above) on the launch form. */
  z.object({ mode: z.literal("atLaunch") }),
]);
export type TargetSelector = z.infer<typeof targetSelector>;
/** What a launch may pass when the job says "choose at launch" (or to narrow a fixed one). */
export const launchSelector = z.discriminatedUnion("mode", [
  targetSelector.options[0],
  targetSelector.options[1],
  targetSelector.options[2],
]);
export type LaunchSelector = z.infer<typeof launchSelector>;

/** One line a person reads in a list: "3 targets", "groups: 2", "env=prod,role!=db". */
export function describeSelector(selector: TargetSelector): string {
  switch (selector.mode) {
    case "targets":
      return `${selector.targetIds.length} target${selector.targetIds.length === 1 ? "" : "s"}`;
    case "groups":
      return `${selector.groupIds.length} group${selector.groupIds.length === 1 ? "" : "s"}`;
    case "labels":
      return `labels ${selector.expression}`;
    case "atLaunch":
      return "chosen at launch";
  }
}
