CREATE TABLE "automation"."run_output_retention" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"expired_before" date NOT NULL
);
--> statement-breakpoint
ALTER TABLE "automation"."run_host_steps" ADD COLUMN "output_dropped_bytes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "automation"."run_output_cursors" ADD COLUMN "day" date DEFAULT (now() AT TIME ZONE 'UTC')::date NOT NULL;--> statement-breakpoint
UPDATE "automation"."run_output_cursors" c SET "day" = (r."created_at" AT TIME ZONE 'UTC')::date FROM "automation"."runs" r WHERE r."id" = c."run_id";--> statement-breakpoint
-- Hand-written (ADR 0012, "Output"): run_output is range-partitioned by the run's UTC
-- creation day, so retention drops whole days instead of deleting rows. Drizzle knows the
-- table's columns and primary key (the partition key must be part of it), not the partitioning.
-- A partition for one day, made when missing (by the maintenance task ahead of time, and
-- by a writer that finds its day without one). Safe against concurrent callers.
CREATE FUNCTION "automation"."ensure_run_output_partition"(d date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  name text := 'run_output_p' || to_char(d, 'YYYYMMDD');
BEGIN
  IF to_regclass(format('automation.%I', name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE automation.%I PARTITION OF automation.run_output FOR VALUES FROM (%L) TO (%L)', name, d, d + 1);
  RETURN true;
EXCEPTION WHEN duplicate_table OR invalid_object_definition THEN
  RETURN false;
END $$;--> statement-breakpoint
ALTER TABLE "automation"."run_output" RENAME TO "run_output_unpartitioned";--> statement-breakpoint
ALTER TABLE "automation"."run_output_unpartitioned" RENAME CONSTRAINT "run_output_run_id_seq_from_pk" TO "run_output_unpartitioned_pk";--> statement-breakpoint
ALTER INDEX "automation"."run_output_host_idx" RENAME TO "run_output_unpartitioned_host_idx";--> statement-breakpoint
CREATE TABLE "automation"."run_output" (
	"run_id" uuid NOT NULL,
	"day" date NOT NULL,
	"seq_from" bigint NOT NULL,
	"seq_to" bigint NOT NULL,
	"ordinal" integer NOT NULL,
	"step_id" text NOT NULL,
	"streams" smallint[] NOT NULL,
	"lines" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_output_run_id_seq_from_day_pk" PRIMARY KEY("run_id","seq_from","day")
) PARTITION BY RANGE ("day");--> statement-breakpoint
CREATE INDEX "run_output_host_idx" ON "automation"."run_output" USING btree ("run_id","ordinal","seq_from");--> statement-breakpoint
SELECT "automation"."ensure_run_output_partition"(d) FROM (
  SELECT DISTINCT c."day" AS d FROM "automation"."run_output_cursors" c
  UNION SELECT g::date FROM generate_series((now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + 3, interval '1 day') g
) days;--> statement-breakpoint
-- Chunks of runs that no longer exist have nowhere to go and are left behind.
INSERT INTO "automation"."run_output" ("run_id", "day", "seq_from", "seq_to", "ordinal", "step_id", "streams", "lines", "created_at")
SELECT o."run_id", c."day", o."seq_from", o."seq_to", o."ordinal", o."step_id", o."streams", o."lines", o."created_at"
FROM "automation"."run_output_unpartitioned" o JOIN "automation"."run_output_cursors" c ON c."run_id" = o."run_id";--> statement-breakpoint
DROP TABLE "automation"."run_output_unpartitioned";
