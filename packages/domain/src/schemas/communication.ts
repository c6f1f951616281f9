import { z } from "zod";
import { isoDate, pageInput } from "./common";

export const auditEntryView = z.object({
  id: z.number(),
  at: isoDate,
  actorUserId: z.string().nullable(),
  actorLabel: z.string(),
  action: z.string(),
  outcome: z.enum(["success", "failure", "denied"]),
  objectType: z.string().nullable(),
  objectId: z.string().nullable(),
  /** The object's current name (user email, role, token, target, group, credential); null when gone. */
  objectName: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  changes: z.record(z.string(), z.unknown()).nullable(),
});
export type AuditEntryView = z.infer<typeof auditEntryView>;
export const listAuditInput = pageInput.extend({
  actor: z.string().trim().max(254).optional(),
  action: z.string().trim().max(100).optional(),
  objectType: z.string().trim().max(100).optional(),
  objectId: z.string().trim().max(200).optional(),
  outcome: z.enum(["success", "failure", "denied"]).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export const verifyAuditResult = z.object({ entries: z.number(), ok: z.boolean(), firstBrokenId: z.number().nullable() });
