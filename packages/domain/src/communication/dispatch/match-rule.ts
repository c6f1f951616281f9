import { SEVERITY_RANK, type Severity } from "../event-meta";
import { matchesLabelTerms, parseLabelExpression } from "../../schemas/automation-selector";
import { ruleFilters, type RuleFilters } from "../../schemas/communication-rules";

/**
 * What a rule's filters are checked against, gathered for a whole batch at once
 * (./event-facts.ts). A fact the event's object does not have is null or empty: a run
 * has a job and a launcher, a target event has neither.
 */
export type EventFacts = {
  severity: Severity;
  /** The run's job; null for an ad-hoc command or an event that is not about a run. */
  jobId: string | null;
  /** Who launched the run; null when it is not a run event or nobody did (a schedule). */
  startedBy: string | null;
  /** For each of the event's targets: its labels and every group it is in, nested groups' ancestors included. */
  targets: { labels: Record<string, string>; groupIds: string[] }[];
};

/** A stored rule's filters; a row that no longer parses (an old shape) matches nothing rather than everything. */
export function readRuleFilters(raw: unknown): RuleFilters | null {
  const parsed = ruleFilters.safeParse(raw ?? {});
  return parsed.success ? parsed.data : null;
}

/**
 * Whether an event passes a rule's filters (ADR 0016): every filter given must hold, a
 * list holds when any entry does. A filter about something the event's object does not
 * have (a job filter on a target event) does not hold.
 */
export function matchesFilters(filters: RuleFilters, facts: EventFacts): boolean {
  if (filters.minSeverity && SEVERITY_RANK[facts.severity] < SEVERITY_RANK[filters.minSeverity]) return false;
  if (filters.jobIds?.length && !(facts.jobId && filters.jobIds.includes(facts.jobId))) return false;
  if (filters.startedBy?.length && !(facts.startedBy && filters.startedBy.includes(facts.startedBy))) return false;
  if (filters.groupIds?.length) {
    const wanted = new Set(filters.groupIds);
    if (!facts.targets.some((t) => t.groupIds.some((g) => wanted.has(g)))) return false;
  }
  if (filters.labels) {
    const parsed = parseLabelExpression(filters.labels);
    // An unparseable expression is a broken rule: it must not turn into "everything".
    if ("error" in parsed) return false;
    if (!facts.targets.some((t) => matchesLabelTerms(t.labels, parsed.terms))) return false;
  }
  return true;
}

/** Whether the rule needs the targets' labels or groups, so a batch without such rules skips loading them. */
export function needsTargetFacts(filters: RuleFilters): boolean {
  return !!(filters.groupIds?.length || filters.labels);
}
