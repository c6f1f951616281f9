import { assetsSummarySchemas as s, getAssetsSummary } from "@ops/domain";
import { can } from "../../../trpc";

/** The home page; parts needing credentials.read, discovery.read or settings.manage are null without them. */
export const get = can("targets.read")
  .output(s.assetsSummary)
  .query(({ ctx }) => getAssetsSummary({ ctx, input: undefined }));
