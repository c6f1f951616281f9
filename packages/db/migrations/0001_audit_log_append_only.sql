-- The audit log is append-only and hash-chained. The database enforces both, so no
-- application bug (or a hand-run UPDATE) can quietly rewrite history.
CREATE FUNCTION communication.audit_payload(a communication.audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (to_jsonb(a) - 'hash' - 'prev_hash' - 'at')::text || '|' || extract(epoch FROM a.at)::text
$$;
--> statement-breakpoint
CREATE FUNCTION communication.audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  previous bytea;
BEGIN
  -- One writer at a time: the id is taken under the lock so id order is chain order.
  PERFORM pg_advisory_xact_lock(727001);
  NEW.id := nextval(pg_get_serial_sequence('communication.audit_log', 'id'));
  SELECT hash INTO previous FROM communication.audit_log ORDER BY id DESC LIMIT 1;
  NEW.prev_hash := coalesce(previous, '\x'::bytea);
  NEW.hash := sha256(NEW.prev_hash || convert_to(communication.audit_payload(NEW), 'UTF8'));
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_chain BEFORE INSERT ON communication.audit_log
  FOR EACH ROW EXECUTE FUNCTION communication.audit_chain();
--> statement-breakpoint
CREATE FUNCTION communication.audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON communication.audit_log
  FOR EACH ROW EXECUTE FUNCTION communication.audit_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON communication.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION communication.audit_refuse_change();
