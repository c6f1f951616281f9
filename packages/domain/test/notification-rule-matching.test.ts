import { describe, expect, it } from "vitest";
import { deliveryKey, matchesFilters, readRuleFilters, throttleWindow, type EventFacts } from "../src/communication/dispatch";

const JOB = "0d9a7c5e-3b1f-4e2a-8c6d-5f4e3a2b1c0d";
const OTHER = "11111111-1111-4111-8111-111111111111";
const ADA = "3c8e1f2a-7b6d-4a5c-9e0f-1a2b3c4d5e6f";
const PROD = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

const runFailed: EventFacts = {
  severity: "error",
  jobId: JOB,
  startedBy: ADA,
  targets: [
    { labels: { env: "prod", role: "web" }, groupIds: [PROD] },
    { labels: { env: "staging" }, groupIds: [] },
  ],
};
const credentialUsed: EventFacts = { severity: "info", jobId: null, startedBy: null, targets: [] };

describe("rule filters", () => {
  it("match everything when empty, and each filter on its own", () => {
    expect(matchesFilters({}, runFailed)).toBe(true);
    expect(matchesFilters({ jobIds: [OTHER, JOB] }, runFailed)).toBe(true);
    expect(matchesFilters({ jobIds: [OTHER] }, runFailed)).toBe(false);
    expect(matchesFilters({ startedBy: [ADA] }, runFailed)).toBe(true);
    expect(matchesFilters({ startedBy: [OTHER] }, runFailed)).toBe(false);
    expect(matchesFilters({ groupIds: [PROD] }, runFailed)).toBe(true);
    expect(matchesFilters({ groupIds: [OTHER] }, runFailed)).toBe(false);
    expect(matchesFilters({ minSeverity: "error" }, runFailed)).toBe(true);
    expect(matchesFilters({ minSeverity: "critical" }, runFailed)).toBe(false);
  });

  it("read a label expression over any of the event's targets", () => {
    expect(matchesFilters({ labels: "env=prod,role=web" }, runFailed)).toBe(true);
    expect(matchesFilters({ labels: "env=staging" }, runFailed)).toBe(true);
    expect(matchesFilters({ labels: "env=prod,role=db" }, runFailed)).toBe(false);
    expect(matchesFilters({ labels: "!env" }, runFailed)).toBe(false);
    // A broken expression is a broken rule, not "everything".
    expect(matchesFilters({ labels: "=oops" }, runFailed)).toBe(false);
  });

  it("need every filter given to hold", () => {
    expect(matchesFilters({ jobIds: [JOB], minSeverity: "warning", labels: "env=prod" }, runFailed)).toBe(true);
    expect(matchesFilters({ jobIds: [JOB], minSeverity: "critical", labels: "env=prod" }, runFailed)).toBe(false);
  });

  it("do not match events whose object has nothing to filter on", () => {
    for (const f of [{ jobIds: [JOB] }, { startedBy: [ADA] }, { groupIds: [PROD] }, { labels: "env" }]) {
      expect(matchesFilters(f, credentialUsed)).toBe(false);
    }
    expect(matchesFilters({ minSeverity: "info" }, credentialUsed)).toBe(true);
  });

  it("refuse a stored filter that no longer parses rather than match everything", () => {
    expect(readRuleFilters({ jobIds: ["not-a-uuid"] })).toBeNull();
    expect(readRuleFilters(null)).toEqual({});
    expect(readRuleFilters({ minSeverity: "error" })).toEqual({ minSeverity: "error" });
  });
});

describe("delivery keys and windows", () => {
  it("name one destination whatever the order or case of its recipients", () => {
    const a = deliveryKey(42, JOB, ["b@example.com", "A@example.com"]);
    expect(a).toBe(deliveryKey(42, JOB, ["a@example.com", "b@example.com"]));
    expect(a).toMatch(new RegExp(`^evt-42-${JOB}-[0-9a-f]{12}$`));
    expect(a).not.toBe(deliveryKey(42, JOB, ["a@example.com"]));
    expect(a).not.toBe(deliveryKey(43, JOB, ["a@example.com", "b@example.com"]));
  });

  it("align storm-control windows on the epoch", () => {
    const w = throttleWindow(new Date("2026-12-01T10:07:31.500Z"), 300);
    expect(w.start.toISOString()).toBe("2026-12-01T10:05:00.000Z");
    expect(w.end.toISOString()).toBe("2026-12-01T10:10:00.000Z");
  });
});
