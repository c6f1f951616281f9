import { z } from "zod";
import { communicationRuleSchemas as s, listSubscriptions } from "@ops/domain";
import { can } from "../../../trpc";

/** The caller's own subscriptions, never another's. */
export const list = can("notifications.read")
  .output(z.array(s.subscriptionView))
  .query(({ ctx }) => listSubscriptions({ ctx, input: undefined }));
