-- A host's own host-step results are counted on its run_hosts row (ADR 0012, "Progress"),
-- no longer on the run's row, which every host's every step locked until its commit: on
-- a run of many hosts the step statements queued for that one row. The run's progress is
-- runs.host_steps_done (run-scope steps, bulk closes) plus the sum over its hosts.
ALTER TABLE "automation"."run_hosts" ADD COLUMN "steps_done" integer DEFAULT 0 NOT NULL;
