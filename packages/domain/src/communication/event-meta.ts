import { z } from "zod";
import { DOMAIN_EVENTS, type DomainEventPayload, type DomainEventType } from "./events";

/**
 * What the notification system knows of each event type besides its payload: how
 * serious it is, what object it concerns, a title and a sample payload (the live preview
 * of a template renders against it, and the dashboard documents the variables from it).
 * Browser-safe: zod only.
 */
export const SEVERITIES = ["info", "warning", "error", "critical"] as const;
export const severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severity>;
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

export type EventMeta<T extends DomainEventType> = {
  title: string;
  description: string;
  severity: Severity;
  /** The `objectType` the event is written with (`run`, `target`, `scan`, `credential`, `user`). */
  objectType: string;
  sample: DomainEventPayload<T>;
};

const run = {
  runId: "6f1c2a4e-0b7d-4c1e-9a55-2f0d3c9b8e71",
  title: "Patch web servers",
  job: { id: "0d9a7c5e-3b1f-4e2a-8c6d-5f4e3a2b1c0d", name: "Patch web servers", version: 7 },
  launchedBy: { userId: "3c8e1f2a-7b6d-4a5c-9e0f-1a2b3c4d5e6f", email: "ada@example.com" },
  counts: { hosts: 40, hostsFailed: 3, hostStepsDone: 117, hostStepsTotal: 120 },
};

export const EVENT_META: { [T in DomainEventType]: EventMeta<T> } = {
  "assets.host_key_changed": {
    title: "Host key changed",
    description: "A target presented a host key other than the pinned one; connections to it are refused until an admin accepts the new key.",
    severity: "critical",
    objectType: "target",
    sample: {
      targetName: "web-01",
      address: "10.0.0.11:22",
      expectedFingerprint: "SHA256:3nYpTq3q0kq0nmC0jQf8cQzS8yR1b2xv7sJb0Zl0v5o",
      seenFingerprint: "SHA256:Xb0oV7d7mR3pM0m9ZQ8w6Jx1yq3dYQ0C0xj8hP9k2aE",
      seenType: "ssh-ed25519",
      expectedNeverSeen: false,
    },
  },
  "assets.host_key_accepted": {
    title: "Host key accepted",
    description: "An admin accepted a target's new host key.",
    severity: "info",
    objectType: "target",
    sample: {
      targetName: "web-01",
      previousFingerprint: "SHA256:3nYpTq3q0kq0nmC0jQf8cQzS8yR1b2xv7sJb0Zl0v5o",
      acceptedFingerprint: "SHA256:Xb0oV7d7mR3pM0m9ZQ8w6Jx1yq3dYQ0C0xj8hP9k2aE",
      acceptedBy: "ada@example.com",
    },
  },
  "assets.target_unreachable": {
    title: "Target unreachable",
    description: "A target that was reachable could not be reached.",
    severity: "error",
    objectType: "target",
    sample: { targetName: "web-01", cause: "connect ECONNREFUSED 10.0.0.11:22" },
  },
  "assets.connection_test_failed": {
    title: "Connection test failed",
    description: "A connection test ended other than reachable.",
    severity: "warning",
    objectType: "target",
    sample: {
      targetName: "web-01",
      address: "10.0.0.11:22",
      status: "auth_failed",
      step: "auth",
      reason: "All configured authentication methods failed",
      testedBy: "ada@example.com",
    },
  },
  "assets.credential_used": {
    title: "Credential used",
    description: "A vault credential was opened to sign in (once per run, connection test or channel send).",
    severity: "info",
    objectType: "credential",
    sample: {
      credentialName: "deploy key",
      credentialKind: "ssh_key",
      usedBy: { kind: "run", id: run.runId, label: "Patch web servers" },
      actor: "ada@example.com",
    },
  },
  "assets.discovery_finished": {
    title: "Discovery finished",
    description: "A network discovery scan ended.",
    severity: "info",
    objectType: "scan",
    sample: { status: "succeeded", specs: ["10.0.0.0/24"], ports: [22], done: 256, total: 256, found: 12, error: null },
  },
  "automation.run.started": {
    title: "Run started",
    description: "A run left the queue and started on a worker.",
    severity: "info",
    objectType: "run",
    sample: { ...run, state: "running", counts: { hosts: 40, hostsFailed: 0, hostStepsDone: 0, hostStepsTotal: 120 }, error: null },
  },
  "automation.run.succeeded": {
    title: "Run succeeded",
    description: "Every host of a run succeeded.",
    severity: "info",
    objectType: "run",
    sample: { ...run, state: "succeeded", counts: { hosts: 40, hostsFailed: 0, hostStepsDone: 120, hostStepsTotal: 120 }, error: null },
  },
  "automation.run.failed": {
    title: "Run failed",
    description: "A run ended with failed hosts (or its failure threshold was crossed).",
    severity: "error",
    objectType: "run",
    sample: { ...run, state: "failed", error: "3 of 40 hosts failed" },
  },
  "automation.run.timed_out": {
    title: "Run timed out",
    description: "A run reached its timeout; its remaining commands were stopped.",
    severity: "error",
    objectType: "run",
    sample: { ...run, state: "timed_out", error: "The run reached its 30 min timeout" },
  },
  "automation.run.cancelled": {
    title: "Run cancelled",
    description: "Someone cancelled a run; its remaining commands were stopped.",
    severity: "warning",
    objectType: "run",
    sample: { ...run, state: "cancelled", error: "Cancelled by ada@example.com" },
  },
  "automation.host_step.failed": {
    title: "Host step failed",
    description: "One step failed, timed out or was interrupted on one host.",
    severity: "warning",
    objectType: "run",
    sample: {
      ...run,
      host: { ordinal: 4, targetId: "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", targetName: "web-05" },
      step: { id: "upgrade", name: "Upgrade packages", attempt: 2 },
      state: "failed",
      exitCode: 100,
      error: "exit code 100",
    },
  },
  "identity.login_failures_burst": {
    title: "Many failed sign-ins",
    description: "More failed sign-ins for one account or address than the burst threshold within its window.",
    severity: "critical",
    objectType: "user",
    sample: { email: "ada@example.com", ip: "203.0.113.7", failures: 10, windowSeconds: 300 },
  },
  "identity.user_created": {
    title: "User created",
    description: "An admin created a user (or the first admin was set up).",
    severity: "info",
    objectType: "user",
    sample: { email: "grace@example.com", displayName: "Grace Hopper", createdBy: "ada@example.com" },
  },
  "identity.user_disabled": {
    title: "User disabled",
    description: "An admin disabled a user; their sessions and tokens stop working.",
    severity: "warning",
    objectType: "user",
    sample: { email: "grace@example.com", displayName: "Grace Hopper", disabledBy: "ada@example.com" },
  },
};

export const DOMAIN_EVENT_TYPES = Object.keys(DOMAIN_EVENTS) as DomainEventType[];
export const domainEventType = z.enum(DOMAIN_EVENT_TYPES as [DomainEventType, ...DomainEventType[]]);
