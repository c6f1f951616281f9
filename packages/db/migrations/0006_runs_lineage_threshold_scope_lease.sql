ALTER TABLE "automation"."runs" ADD COLUMN "parent_run_id" uuid;--> statement-breakpoint
ALTER TABLE "automation"."runs" ADD COLUMN "failure_threshold" jsonb;--> statement-breakpoint
ALTER TABLE "automation"."runs" ADD COLUMN "exclusive" text DEFAULT 'off' NOT NULL;--> statement-breakpoint
ALTER TABLE "automation"."runs" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "automation"."runs" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "automation"."runs" ADD COLUMN "epoch" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "runs_parent_idx" ON "automation"."runs" USING btree ("parent_run_id");