CREATE TABLE "assets"."known_hosts" (
	"address" text NOT NULL,
	"port" integer NOT NULL,
	"key_type" text,
	"fingerprint" text NOT NULL,
	"pinned_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "known_hosts_address_port_pk" PRIMARY KEY("address","port")
);
--> statement-breakpoint
-- Remember the keys already pinned, so existing trust survives a delete-and-recreate too.
INSERT INTO "assets"."known_hosts" ("address", "port", "key_type", "fingerprint", "pinned_at")
SELECT DISTINCT ON (lower("address"), "port") lower("address"), "port", "host_key_type", "host_key_fingerprint", coalesce("host_key_pinned_at", now())
FROM "assets"."targets" WHERE "host_key_fingerprint" IS NOT NULL
ORDER BY lower("address"), "port", "host_key_pinned_at" DESC NULLS LAST;
