import { z } from "zod";
import { isoDate } from "./common";
import { TARGET_STATUSES } from "./assets-targets";

/** CONTRACTS C4: what the home page shows. Parts the viewer may not see are null. */
export const assetsSummary = z.object({
  targets: z.object({
    total: z.number().int(),
    byStatus: z.record(z.enum(TARGET_STATUSES), z.number().int()),
  }),
  /** null without credentials.read */
  credentials: z.number().int().nullable(),
  connectionTests: z.object({
    total: z.number().int(),
    /** Newest 8. */
    recent: z.array(
      z.object({
        id: z.string(),
        targetId: z.string(),
        targetName: z.string(),
        status: z.string(),
        error: z.string().nullable(),
        createdAt: isoDate,
        finishedAt: isoDate.nullable(),
      }),
    ),
  }),
  /** null without discovery.read */
  scans: z
    .object({
      total: z.number().int(),
      recent: z.array(
        z.object({
          id: z.string(),
          spec: z.string(),
          status: z.string(),
          found: z.number().int(),
          createdAt: isoDate,
          finishedAt: isoDate.nullable(),
        }),
      ),
    })
    .nullable(),
  /**
   * Non-null only with settings.manage. `generated`: the master key came from a key file
   * the server generated in its data directory (not OPS_MASTER_KEY): back it up.
   */
  masterKey: z.object({ generated: z.boolean(), file: z.string().nullable() }).nullable(),
});
export type AssetsSummary = z.infer<typeof assetsSummary>;
