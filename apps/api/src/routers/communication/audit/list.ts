import { communicationSchemas as s, listAudit, pageOf } from "@ops/domain";
import { can } from "../../../trpc";

export const list = can("audit.read")
  .input(s.listAuditInput)
  .output(pageOf(s.auditEntryView))
  .query(({ ctx, input }) => listAudit({ ctx, input }));
