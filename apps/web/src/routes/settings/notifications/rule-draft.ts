import type { Severity } from "@ops/domain/communication/event-meta";
import type { RuleInput, RuleView } from "@ops/domain/schemas/communication-rules";
import { numberOrUndefined, splitList } from "../../../app/form-values";

/** What the rule form edits; `ruleInputOf` turns it into the contract. */
export type RuleDraft = {
  name: string;
  enabled: boolean;
  eventTypes: string[];
  jobIds: string[];
  groupIds: string[];
  labels: string;
  minSeverity: Severity | "";
  startedBy: string[];
  channelId: string;
  templateId: string;
  recipients: string;
  inApp: boolean;
  throttle: boolean;
  throttleMax: string;
  throttleWindow: string;
};

export function ruleDraftOf(view?: RuleView): RuleDraft {
  const f = view?.filters ?? {};
  return {
    name: view?.name ?? "",
    enabled: view?.enabled ?? true,
    eventTypes: view?.eventTypes ?? [],
    jobIds: f.jobIds ?? [],
    groupIds: f.groupIds ?? [],
    labels: f.labels ?? "",
    minSeverity: f.minSeverity ?? "",
    startedBy: f.startedBy ?? [],
    channelId: view?.channel?.id ?? "",
    templateId: view?.template?.id ?? "",
    recipients: (view?.recipients ?? []).join("\n"),
    inApp: view?.inApp ?? false,
    throttle: !!view?.throttle,
    throttleMax: String(view?.throttle?.max ?? 10),
    throttleWindow: String(view?.throttle?.windowSeconds ?? 300),
  };
}

/** Empty filters are left out: a filter given must match, so an empty one would match nothing. */
export function ruleInputOf(d: RuleDraft, channelKind: string | undefined): RuleInput {
  return {
    name: d.name,
    enabled: d.enabled,
    eventTypes: d.eventTypes as RuleInput["eventTypes"],
    filters: {
      jobIds: d.jobIds.length ? d.jobIds : undefined,
      groupIds: d.groupIds.length ? d.groupIds : undefined,
      labels: d.labels.trim() || undefined,
      minSeverity: d.minSeverity || undefined,
      startedBy: d.startedBy.length ? d.startedBy : undefined,
    },
    channelId: d.channelId || null,
    templateId: d.channelId && d.templateId ? d.templateId : null,
    recipients: channelKind === "email" ? splitList(d.recipients) : [],
    inApp: d.inApp,
    throttle: d.throttle
      ? { max: numberOrUndefined(d.throttleMax) as number, windowSeconds: numberOrUndefined(d.throttleWindow) as number }
      : null,
  };
}
