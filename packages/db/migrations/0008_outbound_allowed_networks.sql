CREATE TABLE "communication"."outbound_allowed_networks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cidr" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbound_allowed_networks_cidr_unique" UNIQUE("cidr")
);
--> statement-breakpoint
ALTER TABLE "communication"."outbound_allowed_networks" ADD CONSTRAINT "outbound_allowed_networks_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "identity"."users"("id") ON DELETE set null ON UPDATE no action;