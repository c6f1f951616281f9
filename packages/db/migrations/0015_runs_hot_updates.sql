-- The run row's claim and lease renewals become HOT updates (no index entry written, ADR 0012
-- "The run row"): `state` was indexed, so each state change wrote an entry in all five of
-- the row's indexes. The reaper's runs (not over, or timed out) are found by finished_at and
-- deadline_at instead; finished_at is null exactly while the run is queued or running
-- (checked from now on; rows already there are not re-read). The parent index keeps only
-- reruns and resumes: a fresh launch, and its end, write no entry there.
DROP INDEX "automation"."runs_state_idx";--> statement-breakpoint
DROP INDEX "automation"."runs_parent_idx";--> statement-breakpoint
CREATE INDEX "runs_open_idx" ON "automation"."runs" USING btree ("created_at") WHERE "automation"."runs"."finished_at" IS NULL OR "automation"."runs"."finished_at" >= "automation"."runs"."deadline_at";--> statement-breakpoint
CREATE INDEX "runs_parent_idx" ON "automation"."runs" USING btree ("parent_run_id") WHERE "automation"."runs"."parent_run_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "automation"."runs" ADD CONSTRAINT "runs_finished_iff_over" CHECK (("finished_at" IS NULL) = ("state" IN ('queued', 'running'))) NOT VALID;--> statement-breakpoint
-- A HOT update needs room on the row's page: runs are written in bursts and claimed within
-- a second, so pages are left a fifth free. Pages written before keep theirs.
ALTER TABLE "automation"."runs" SET (fillfactor = 80);
