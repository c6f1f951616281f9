CREATE TABLE "automation"."host_locks" (
	"target_id" uuid PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"ordinal" integer NOT NULL,
	"acquired_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "automation"."run_hosts" ADD COLUMN "waiting_on" text;--> statement-breakpoint
ALTER TABLE "automation"."host_locks" ADD CONSTRAINT "host_locks_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "assets"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."host_locks" ADD CONSTRAINT "host_locks_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "automation"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "host_locks_run_idx" ON "automation"."host_locks" USING btree ("run_id","ordinal");