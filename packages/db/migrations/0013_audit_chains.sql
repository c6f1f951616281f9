ALTER TABLE "communication"."audit_log" ADD COLUMN "chain" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_log_chain_idx" ON "communication"."audit_log" USING btree ("chain","id");--> statement-breakpoint
-- Several chains instead of one (ADR 0004, amended): the single chain lock was held by
-- each auditing transaction until its commit was flushed, so every audited action of the
-- whole system ran one at a time (launches topped out near 80 a second). A transaction now
-- links its rows into the first of 16 chains that no other open transaction holds, and
-- keeps that chain for the rest of its rows. Rows from before this migration are chain 0.
-- The chain number is left out of the hashed payload, so those rows verify as they did.
CREATE OR REPLACE FUNCTION communication.audit_payload(a communication.audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (to_jsonb(a) - 'hash' - 'prev_hash' - 'at' - 'chain')::text || '|' || extract(epoch FROM a.at)::text
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION communication.audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  chains CONSTANT int := 16;
  held text := current_setting('ops.audit_chain', true);
  first int := pg_backend_pid() % chains;
  k int;
  previous bytea;
BEGIN
  IF coalesce(held, '') <> '' THEN
    k := held::int;
  ELSE
    -- The first free chain, starting from this connection's own; wait only when all are held.
    FOR i IN 0 .. chains - 1 LOOP
      IF pg_try_advisory_xact_lock(727001, (first + i) % chains) THEN
        k := (first + i) % chains;
        EXIT;
      END IF;
    END LOOP;
    IF k IS NULL THEN
      k := first;
      PERFORM pg_advisory_xact_lock(727001, k);
    END IF;
    PERFORM set_config('ops.audit_chain', k::text, true);
  END IF;
  -- Under the chain's lock: id order within a chain is chain order.
  NEW.chain := k;
  NEW.id := nextval(pg_get_serial_sequence('communication.audit_log', 'id'));
  SELECT hash INTO previous FROM communication.audit_log WHERE chain = k ORDER BY id DESC LIMIT 1;
  NEW.prev_hash := coalesce(previous, '\x'::bytea);
  NEW.hash := sha256(NEW.prev_hash || convert_to(communication.audit_payload(NEW), 'UTF8'));
  RETURN NEW;
END
$$;
