import { eq, sql } from "drizzle-orm";
import { jobs } from "@ops/db";
import { appendAudit } from "../../audit/append";
import type { VerbArgs } from "../../context";
import { loadJobRow } from "./job-rules";

/** Hides the job and frees its name; its versions stay for the runs that pinned them. */
export async function deleteJob({ ctx, input }: VerbArgs<{ id: string }>) {
  return ctx.services.db.transaction(async (tx) => {
    const job = await loadJobRow(tx, input.id, true);
    await tx
      .update(jobs)
      .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(jobs.id, job.id));
    await appendAudit(tx, ctx, { action: "automation.jobs.delete", objectType: "job", objectId: job.id, changes: { name: job.name } });
    return { id: job.id, deleted: true as const };
  });
}
