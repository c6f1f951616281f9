import { communicationSchemas as s, verifyAuditChain } from "@ops/domain";
import { can } from "../../../trpc";

export const verify = can("audit.read")
  .output(s.verifyAuditResult)
  .query(({ ctx }) => verifyAuditChain(ctx.services.db));
