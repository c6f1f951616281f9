import { z } from "zod";

const optionalText = z.string().trim().max(200).optional().catch(undefined);
/** Dates in the URL are plain yyyy-mm-dd; the page turns them into the API's ISO instants. */
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .optional()
  .catch(undefined);

export const auditSearch = z.object({
  page: z.number().int().min(1).catch(1).default(1),
  actor: optionalText,
  action: optionalText,
  objectType: optionalText,
  outcome: z.enum(["success", "failure", "denied"]).optional().catch(undefined),
  from: day,
  to: day,
});
export type AuditSearch = z.infer<typeof auditSearch>;
export const AUDIT_PAGE_SIZE = 50;

export function auditListInput(s: AuditSearch) {
  return {
    page: s.page,
    pageSize: AUDIT_PAGE_SIZE,
    actor: s.actor || undefined,
    action: s.action || undefined,
    objectType: s.objectType || undefined,
    outcome: s.outcome,
    // Local midnight at the start of `from`, and the end of the `to` day.
    from: s.from ? new Date(`${s.from}T00:00:00`).toISOString() : undefined,
    to: s.to ? new Date(`${s.to}T23:59:59.999`).toISOString() : undefined,
  };
}
