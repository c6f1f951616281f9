import { z } from "zod";

/**
 * The domain events catalogue (STYLE.md 17): every event type the outbox carries, with
 * its payload's schema. `emitEvent` is typed from it and parses each payload before
 * writing it; notifications (issue 8) subscribe to these types and read these shapes.
 * Browser-safe: zod only.
 */

const job = z.object({ id: z.uuid().nullable(), name: z.string().nullable(), version: z.number().int().nullable() }).nullable();

/** Every run transition carries the same facts about the run. */
const runEvent = z.object({
  runId: z.uuid(),
  title: z.string(),
  /** The job and version it ran; null for an ad-hoc command. */
  job,
  launchedBy: z.object({ userId: z.uuid(), email: z.string() }).nullable(),
  state: z.enum(["running", "succeeded", "failed", "timed_out", "cancelled"]),
  counts: z.object({
    hosts: z.number().int(),
    hostsFailed: z.number().int(),
    hostStepsDone: z.number().int(),
    hostStepsTotal: z.number().int(),
  }),
  /** Why it did not succeed, when there is one reason for the whole run. */
  error: z.string().nullable(),
});

export const DOMAIN_EVENTS = {
  "assets.host_key_changed": z.object({
    targetName: z.string(),
    address: z.string(),
    expectedFingerprint: z.string().nullable(),
    seenFingerprint: z.string(),
    seenType: z.string(),
    expectedNeverSeen: z.boolean(),
  }),
  "assets.host_key_accepted": z.object({
    targetName: z.string(),
    previousFingerprint: z.string().nullable(),
    acceptedFingerprint: z.string().nullable(),
    acceptedBy: z.string(),
  }),
  "assets.target_unreachable": z.object({
    targetName: z.string(),
    cause: z.string().optional(),
    /** Set when a run could not connect to the target (absent when a connection test found it unreachable). */
    run: z.object({ id: z.uuid(), title: z.string() }).optional(),
  }),
  /** A connection test ended other than reachable (unreachable, auth failed, host key changed, become failed). */
  "assets.connection_test_failed": z.object({
    targetName: z.string(),
    address: z.string(),
    status: z.string(),
    /** The step that failed (dns, tcp, handshake, auth, become, facts) and why. */
    step: z.string().nullable(),
    reason: z.string(),
    testedBy: z.string().nullable(),
  }),
  /** A vault credential was opened to sign in somewhere: once per run, connection test or channel send. */
  "assets.credential_used": z.object({
    credentialName: z.string(),
    credentialKind: z.string(),
    /** What used it: "run", "connection_test" or "notification_channel", with its id and a readable label. */
    usedBy: z.object({ kind: z.string(), id: z.string(), label: z.string() }),
    actor: z.string(),
  }),
  "assets.discovery_finished": z.object({
    status: z.string(),
    specs: z.array(z.string()),
    ports: z.array(z.number().int()),
    done: z.number().int(),
    total: z.number().int(),
    found: z.number().int(),
    error: z.string().nullable(),
  }),
  "automation.run.started": runEvent,
  "automation.run.succeeded": runEvent,
  "automation.run.failed": runEvent,
  "automation.run.timed_out": runEvent,
  "automation.run.cancelled": runEvent,
  /** A host-step ended failed, timed out or interrupted (its worker was lost). */
  "automation.host_step.failed": runEvent.omit({ state: true, error: true }).extend({
    host: z.object({ ordinal: z.number().int(), targetId: z.uuid().nullable(), targetName: z.string() }),
    step: z.object({ id: z.string(), name: z.string(), attempt: z.number().int() }),
    state: z.enum(["failed", "timed_out", "interrupted"]),
    exitCode: z.number().int().nullable(),
    error: z.string().nullable(),
  }),
  /** More failed sign-ins for one account or address than the burst threshold, within its window. */
  "identity.login_failures_burst": z.object({
    email: z.string(),
    ip: z.string().nullable(),
    failures: z.number().int(),
    windowSeconds: z.number().int(),
  }),
  "identity.user_created": z.object({ email: z.string(), displayName: z.string(), createdBy: z.string() }),
  "identity.user_disabled": z.object({ email: z.string(), displayName: z.string(), disabledBy: z.string() }),
} as const;

export type DomainEventType = keyof typeof DOMAIN_EVENTS;
export type DomainEventPayload<T extends DomainEventType> = z.infer<(typeof DOMAIN_EVENTS)[T]>;
export const RUN_EVENT_TYPES = [
  "automation.run.started",
  "automation.run.succeeded",
  "automation.run.failed",
  "automation.run.timed_out",
  "automation.run.cancelled",
] as const;
