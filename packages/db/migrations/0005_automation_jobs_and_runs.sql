CREATE TABLE "automation"."job_versions" (
	"job_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"hash" text NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"saved_by" uuid,
	"saved_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "job_versions_job_id_version_pk" PRIMARY KEY("job_id","version")
);
--> statement-breakpoint
CREATE TABLE "automation"."jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"latest_version" integer NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "automation"."run_host_steps" (
	"run_id" uuid NOT NULL,
	"ordinal" integer NOT NULL,
	"step_id" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"exit_code" integer,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"error" text,
	"output_lines" integer DEFAULT 0 NOT NULL,
	"output_bytes" bigint DEFAULT 0 NOT NULL,
	"truncated" boolean DEFAULT false NOT NULL,
	"captured" text,
	CONSTRAINT "run_host_steps_run_id_ordinal_step_id_pk" PRIMARY KEY("run_id","ordinal","step_id")
);
--> statement-breakpoint
CREATE TABLE "automation"."run_hosts" (
	"run_id" uuid NOT NULL,
	"ordinal" integer NOT NULL,
	"target_id" uuid,
	"target_name" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"epoch" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"error" text,
	CONSTRAINT "run_hosts_run_id_ordinal_pk" PRIMARY KEY("run_id","ordinal")
);
--> statement-breakpoint
CREATE TABLE "automation"."run_output" (
	"run_id" uuid NOT NULL,
	"seq_from" bigint NOT NULL,
	"seq_to" bigint NOT NULL,
	"ordinal" integer NOT NULL,
	"step_id" text NOT NULL,
	"streams" smallint[] NOT NULL,
	"lines" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_output_run_id_seq_from_pk" PRIMARY KEY("run_id","seq_from")
);
--> statement-breakpoint
CREATE TABLE "automation"."run_output_cursors" (
	"run_id" uuid PRIMARY KEY NOT NULL,
	"next_seq" bigint DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "automation"."runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"job_id" uuid,
	"job_version" integer,
	"workflow" jsonb NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"title" text NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"parallelism" integer NOT NULL,
	"hosts_total" integer NOT NULL,
	"host_steps_total" integer NOT NULL,
	"host_steps_done" integer DEFAULT 0 NOT NULL,
	"hosts_failed" integer DEFAULT 0 NOT NULL,
	"launched_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"cancel_requested_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "automation"."job_versions" ADD CONSTRAINT "job_versions_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "automation"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."job_versions" ADD CONSTRAINT "job_versions_saved_by_users_id_fk" FOREIGN KEY ("saved_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."jobs" ADD CONSTRAINT "jobs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."run_hosts" ADD CONSTRAINT "run_hosts_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "automation"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."run_hosts" ADD CONSTRAINT "run_hosts_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "assets"."targets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."run_output_cursors" ADD CONSTRAINT "run_output_cursors_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "automation"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."runs" ADD CONSTRAINT "runs_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "automation"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."runs" ADD CONSTRAINT "runs_launched_by_users_id_fk" FOREIGN KEY ("launched_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_name_key" ON "automation"."jobs" USING btree (lower("name")) WHERE "automation"."jobs"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX "jobs_labels_idx" ON "automation"."jobs" USING gin ("labels");--> statement-breakpoint
CREATE INDEX "run_hosts_claim_idx" ON "automation"."run_hosts" USING btree ("run_id","state");--> statement-breakpoint
CREATE INDEX "run_output_host_idx" ON "automation"."run_output" USING btree ("run_id","ordinal","seq_from");--> statement-breakpoint
CREATE INDEX "runs_created_idx" ON "automation"."runs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "runs_job_idx" ON "automation"."runs" USING btree ("job_id","created_at");--> statement-breakpoint
CREATE INDEX "runs_state_idx" ON "automation"."runs" USING btree ("state");--> statement-breakpoint
CREATE FUNCTION "automation"."job_versions_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'automation.job_versions rows are immutable: save a new version instead';
END $$;--> statement-breakpoint
CREATE TRIGGER "job_versions_no_update" BEFORE UPDATE ON "automation"."job_versions" FOR EACH ROW EXECUTE FUNCTION "automation"."job_versions_immutable"();
