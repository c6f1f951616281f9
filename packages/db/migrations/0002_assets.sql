-- Trigram indexes make the target list's text filter fast at 10,000+ targets.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE SCHEMA "assets";
--> statement-breakpoint
CREATE TABLE "communication"."domain_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "communication"."domain_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"type" text NOT NULL,
	"object_type" text,
	"object_id" text,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "assets"."credentials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"username" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"secret" text NOT NULL,
	"passphrase" text,
	"key_version" integer NOT NULL,
	"public_key_type" text,
	"public_key_fingerprint" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "assets"."groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"parent_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assets"."target_groups" (
	"target_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	CONSTRAINT "target_groups_target_id_group_id_pk" PRIMARY KEY("target_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "assets"."target_relationships" (
	"from_target_id" uuid NOT NULL,
	"to_target_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "target_relationships_from_target_id_to_target_id_kind_pk" PRIMARY KEY("from_target_id","to_target_id","kind")
);
--> statement-breakpoint
CREATE TABLE "assets"."targets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"address" text NOT NULL,
	"port" integer DEFAULT 22 NOT NULL,
	"os_family" text DEFAULT 'unknown' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"credential_id" uuid,
	"become_credential_id" uuid,
	"jump_host_id" uuid,
	"status" text DEFAULT 'unknown' NOT NULL,
	"status_message" text,
	"last_checked_at" timestamp with time zone,
	"facts" jsonb,
	"facts_at" timestamp with time zone,
	"host_key_type" text,
	"host_key_fingerprint" text,
	"host_key_pinned_at" timestamp with time zone,
	"host_key_pending_type" text,
	"host_key_pending_fingerprint" text,
	"host_key_pending_seen_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assets"."connection_test_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"total" integer NOT NULL,
	"requested_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assets"."connection_tests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"batch_id" uuid,
	"target_id" uuid NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"steps" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"cause" text,
	"error" text,
	"latency_ms" integer,
	"requested_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "assets"."discovery_allowed_networks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cidr" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "discovery_allowed_networks_cidr_unique" UNIQUE("cidr")
);
--> statement-breakpoint
CREATE TABLE "assets"."discovery_results" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"scan_id" uuid NOT NULL,
	"address" text NOT NULL,
	"port" integer NOT NULL,
	"banner" text,
	"host_key_type" text,
	"host_key_fingerprint" text,
	"reverse_dns" text,
	"match" text DEFAULT 'new' NOT NULL,
	"target_id" uuid,
	"imported_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assets"."discovery_scans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"specs" text[] NOT NULL,
	"ports" integer[] NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"total" integer NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"found" integer DEFAULT 0 NOT NULL,
	"concurrency" integer NOT NULL,
	"timeout_ms" integer NOT NULL,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"error" text,
	"requested_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "assets"."credentials" ADD CONSTRAINT "credentials_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."groups" ADD CONSTRAINT "groups_parent_id_groups_id_fk" FOREIGN KEY ("parent_id") REFERENCES "assets"."groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."target_groups" ADD CONSTRAINT "target_groups_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "assets"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."target_groups" ADD CONSTRAINT "target_groups_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "assets"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."target_relationships" ADD CONSTRAINT "target_relationships_from_target_id_targets_id_fk" FOREIGN KEY ("from_target_id") REFERENCES "assets"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."target_relationships" ADD CONSTRAINT "target_relationships_to_target_id_targets_id_fk" FOREIGN KEY ("to_target_id") REFERENCES "assets"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."targets" ADD CONSTRAINT "targets_credential_id_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "assets"."credentials"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."targets" ADD CONSTRAINT "targets_become_credential_id_credentials_id_fk" FOREIGN KEY ("become_credential_id") REFERENCES "assets"."credentials"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."targets" ADD CONSTRAINT "targets_jump_host_id_targets_id_fk" FOREIGN KEY ("jump_host_id") REFERENCES "assets"."targets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."connection_test_batches" ADD CONSTRAINT "connection_test_batches_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."connection_tests" ADD CONSTRAINT "connection_tests_batch_id_connection_test_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "assets"."connection_test_batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."connection_tests" ADD CONSTRAINT "connection_tests_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "assets"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."connection_tests" ADD CONSTRAINT "connection_tests_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."discovery_results" ADD CONSTRAINT "discovery_results_scan_id_discovery_scans_id_fk" FOREIGN KEY ("scan_id") REFERENCES "assets"."discovery_scans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."discovery_results" ADD CONSTRAINT "discovery_results_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "assets"."targets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assets"."discovery_scans" ADD CONSTRAINT "discovery_scans_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "domain_events_type_idx" ON "communication"."domain_events" USING btree ("type","id");--> statement-breakpoint
CREATE INDEX "domain_events_undelivered_idx" ON "communication"."domain_events" USING btree ("id");--> statement-breakpoint
CREATE UNIQUE INDEX "credentials_name_key" ON "assets"."credentials" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "credentials_key_version_idx" ON "assets"."credentials" USING btree ("key_version");--> statement-breakpoint
CREATE UNIQUE INDEX "groups_name_key" ON "assets"."groups" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "groups_parent_idx" ON "assets"."groups" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "target_groups_group_idx" ON "assets"."target_groups" USING btree ("group_id");--> statement-breakpoint
CREATE INDEX "target_relationships_to_idx" ON "assets"."target_relationships" USING btree ("to_target_id");--> statement-breakpoint
CREATE UNIQUE INDEX "targets_name_key" ON "assets"."targets" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "targets_address_idx" ON "assets"."targets" USING btree ("address","port");--> statement-breakpoint
CREATE INDEX "targets_labels_idx" ON "assets"."targets" USING gin ("labels");--> statement-breakpoint
CREATE INDEX "targets_status_idx" ON "assets"."targets" USING btree ("status","name");--> statement-breakpoint
CREATE INDEX "targets_search_idx" ON "assets"."targets" USING gin ((lower("name" || ' ' || "address" || ' ' || "description")) gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "connection_tests_target_idx" ON "assets"."connection_tests" USING btree ("target_id","created_at");--> statement-breakpoint
CREATE INDEX "connection_tests_batch_idx" ON "assets"."connection_tests" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "discovery_results_scan_idx" ON "assets"."discovery_results" USING btree ("scan_id","address","port");--> statement-breakpoint
CREATE INDEX "discovery_scans_created_idx" ON "assets"."discovery_scans" USING btree ("created_at");