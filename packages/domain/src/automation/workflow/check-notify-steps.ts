import { inArray } from "drizzle-orm";
import { notificationChannels, notificationTemplates, type Executor } from "@ops/db";
import { STEP_KINDS } from "../../schemas/automation-steps";
import type { WorkflowDocument, WorkflowProblem } from "../../schemas/automation-workflow";

/**
 * What only the database knows about notify steps, checked when a job is saved, validated
 * or launched: the channel (and template) they name exist, and a template is of the
 * channel's kind. `expanded` is the document with template and job steps replaced;
 * problems point at the step of `authored` that holds (or stands for) the notify step.
 */
export async function checkNotifySteps(db: Executor, authored: WorkflowDocument, expanded: WorkflowDocument): Promise<WorkflowProblem[]> {
  const steps = expanded.steps.flatMap((step) => {
    if (step.kind !== "notify") return [];
    const config = STEP_KINDS.notify.config.safeParse(step.config);
    return config.success ? [{ step, config: config.data }] : [];
  });
  if (steps.length === 0) return [];
  const channelIds = [...new Set(steps.map((s) => s.config.channelId))];
  const templateIds = [...new Set(steps.flatMap((s) => (s.config.templateId ? [s.config.templateId] : [])))];
  const [channels, templates] = await Promise.all([
    db
      .select({ id: notificationChannels.id, name: notificationChannels.name, kind: notificationChannels.kind })
      .from(notificationChannels)
      .where(inArray(notificationChannels.id, channelIds)),
    templateIds.length
      ? db
          .select({ id: notificationTemplates.id, name: notificationTemplates.name, kind: notificationTemplates.kind })
          .from(notificationTemplates)
          .where(inArray(notificationTemplates.id, templateIds))
      : Promise.resolve([]),
  ]);
  const problems: WorkflowProblem[] = [];
  for (const { step, config } of steps) {
    // A step a sub-job brought in is reported at the job step that stands for it.
    const at = authored.steps.reduce(
      (best, s, i) =>
        (step.id === s.id || step.id.startsWith(s.id)) && (best < 0 || s.id.length > authored.steps[best]!.id.length) ? i : best,
      -1,
    );
    const path = (field: string) =>
      at < 0 ? `steps` : authored.steps[at]!.kind === "notify" ? `steps[${at}].config.${field}` : `steps[${at}].config`;
    const add = (field: string, message: string) =>
      problems.push({ path: path(field), stepId: step.id, message: `Step "${step.id}": config.${field}: ${message}` });
    const channel = channels.find((c) => c.id === config.channelId);
    if (!channel) {
      add("channelId", "no notification channel has this id (it may have been deleted)");
      continue;
    }
    if (!config.templateId) continue;
    const template = templates.find((t) => t.id === config.templateId);
    if (!template) add("templateId", "no notification template has this id (it may have been deleted)");
    else if (template.kind !== channel.kind)
      add("templateId", `the template "${template.name}" is for ${template.kind}, the channel "${channel.name}" is ${channel.kind}`);
  }
  return problems;
}
