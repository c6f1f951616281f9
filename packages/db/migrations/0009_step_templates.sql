CREATE TABLE "automation"."step_template_versions" (
	"template_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"hash" text NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"saved_by" uuid,
	"saved_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "step_template_versions_template_id_version_pk" PRIMARY KEY("template_id","version")
);
--> statement-breakpoint
CREATE TABLE "automation"."step_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"kind" text NOT NULL,
	"latest_version" integer NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "automation"."step_template_versions" ADD CONSTRAINT "step_template_versions_template_id_step_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "automation"."step_templates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."step_template_versions" ADD CONSTRAINT "step_template_versions_saved_by_users_id_fk" FOREIGN KEY ("saved_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation"."step_templates" ADD CONSTRAINT "step_templates_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "step_templates_name_key" ON "automation"."step_templates" USING btree (lower("name")) WHERE "automation"."step_templates"."deleted_at" IS NULL;--> statement-breakpoint
CREATE FUNCTION "automation"."step_template_versions_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'automation.step_template_versions rows are immutable: save a new version instead';
END $$;--> statement-breakpoint
CREATE TRIGGER "step_template_versions_no_update" BEFORE UPDATE ON "automation"."step_template_versions" FOR EACH ROW EXECUTE FUNCTION "automation"."step_template_versions_immutable"();
