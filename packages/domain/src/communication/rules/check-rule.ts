import { eq, inArray } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { groups, jobs, notificationChannels, notificationTemplates } from "@ops/db";
import { Invalid } from "../../errors";
import { parseLabelExpression } from "../../schemas/automation-selector";
import type { RuleFilters } from "../../schemas/communication-rules";

/**
 * A rule's channel and template exist and fit each other: an email template only on an
 * email channel, recipients only for email; its filters name jobs and groups that exist
 * and a label expression that parses.
 */
export async function assertRuleTargets(
  db: Executor,
  r: { channelId: string | null; templateId: string | null; recipients: string[]; filters: RuleFilters },
): Promise<void> {
  let channelKind: string | null = null;
  if (r.channelId) {
    const [channel] = await db.select().from(notificationChannels).where(eq(notificationChannels.id, r.channelId));
    if (!channel) throw new Invalid("No channel with this id (it may have been deleted)", "channelId");
    channelKind = channel.kind;
    if (r.recipients.length && channel.kind !== "email") {
      throw new Invalid(`Recipients are for email channels; "${channel.name}" is a ${channel.kind} channel`, "recipients");
    }
    if (r.templateId) {
      const [template] = await db.select().from(notificationTemplates).where(eq(notificationTemplates.id, r.templateId));
      if (!template) throw new Invalid("No template with this id (it may have been deleted)", "templateId");
      if (template.kind !== channelKind) {
        throw new Invalid(
          `"${template.name}" is an ${template.kind} template; the channel "${channel.name}" is a ${channel.kind} channel`,
          "templateId",
        );
      }
    }
  } else {
    if (r.templateId) throw new Invalid("A template is for a channel: choose the channel too", "templateId");
    if (r.recipients.length) throw new Invalid("Recipients are for an email channel: choose one", "recipients");
  }
  await assertFiltersExist(db, r.filters);
}

export async function assertFiltersExist(db: Executor, f: RuleFilters): Promise<void> {
  if (f.jobIds?.length) {
    const found = await db.select({ id: jobs.id }).from(jobs).where(inArray(jobs.id, f.jobIds));
    const i = f.jobIds.findIndex((id) => !found.some((j) => j.id === id));
    if (i >= 0) throw new Invalid("No job with this id (it may have been deleted)", `filters.jobIds.${i}`);
  }
  if (f.groupIds?.length) {
    const found = await db.select({ id: groups.id }).from(groups).where(inArray(groups.id, f.groupIds));
    const i = f.groupIds.findIndex((id) => !found.some((g) => g.id === id));
    if (i >= 0) throw new Invalid("No group with this id (it may have been deleted)", `filters.groupIds.${i}`);
  }
  if (f.labels) {
    const parsed = parseLabelExpression(f.labels);
    if ("error" in parsed) throw new Invalid(parsed.error, "filters.labels");
  }
}
