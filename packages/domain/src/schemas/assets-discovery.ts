import { z } from "zod";
import type * as db from "@ops/db";

// Copied from the schema (a type-only import keeps database code out of the dashboard
// bundle); the checks below fail to compile if the two ever differ.
export const DISCOVERY_SCAN_STATUSES = ["queued", "running", "done", "cancelled", "failed"] as const;
export const DISCOVERY_MATCHES = ["new", "known", "known_different_key"] as const;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<(typeof DISCOVERY_SCAN_STATUSES)[number], (typeof db.DISCOVERY_SCAN_STATUSES)[number]>;
true satisfies Same<(typeof DISCOVERY_MATCHES)[number], (typeof db.DISCOVERY_MATCHES)[number]>;
import { parseSpec } from "../assets/discovery/address-spec";
import { parsePortSpec } from "../assets/discovery/port-spec";
import { isoDate, pageInput, pageOf, uuid } from "./common";

/** One CIDR block, range, address or host name; each bad one gets its own field error. */
export const scanSpec = z
  .string()
  .max(300)
  .superRefine((text, ctx) => {
    const p = parseSpec(text);
    if (!p.ok) ctx.addIssue({ code: "custom", message: p.message });
  })
  .transform((s) => s.trim());

export const port = z.number().int().min(1, "Ports are 1 to 65535").max(65535, "Ports are 1 to 65535");

/** A port as a number, or as text: one port ("2222") or an inclusive range ("22100-22110"). */
export const portSpec = z
  .union([z.number(), z.string()])
  // One refinement over both shapes, so each bad entry gets its own words (a union would say "Invalid input").
  .superRefine((value, ctx) => {
    if (typeof value === "string" && value.length > 20) {
      ctx.addIssue({ code: "custom", message: "Write a port (22) or a port range (22100-22110)" });
      return;
    }
    const p = parsePortSpec(value);
    if (!p.ok) ctx.addIssue({ code: "custom", message: p.message });
  })
  .transform((v) => (typeof v === "string" ? v.trim() : v));

export const startScanInput = z.object({
  specs: z.array(scanSpec).min(1, "Enter at least one address, range, CIDR block or host name").max(256),
  /** Up to 100 entries, each a port or a range; addresses x ports is capped (MAX_PROBES). */
  ports: z.array(portSpec).min(1, "Enter at least one port").max(100).default([22]),
  concurrency: z.number().int().min(1).max(2000).default(500),
  timeoutMs: z.number().int().min(100).max(10_000).default(1000),
  /** Required past a /20 (4096 addresses); past a /16 the scan is refused anyway. */
  confirmLarge: z.boolean().default(false),
});
export type StartScanInput = z.infer<typeof startScanInput>;
export const startScanResult = z.object({ scanId: z.string(), addressCount: z.number().int(), total: z.number().int() });

export const scanStatus = z.enum(DISCOVERY_SCAN_STATUSES);
export const scanView = z.object({
  id: z.string(),
  specs: z.array(z.string()),
  /** Every port probed, ascending. */
  ports: z.array(z.number().int()),
  /** The same, ranges joined: "22, 22100-22110". */
  portsText: z.string(),
  status: scanStatus,
  /** Probes (addresses x ports) done and planned: the progress bar. */
  done: z.number().int(),
  total: z.number().int(),
  /** done / total, 0 to 1. */
  progress: z.number(),
  found: z.number().int(),
  concurrency: z.number().int(),
  timeoutMs: z.number().int(),
  cancelRequested: z.boolean(),
  error: z.string().nullable(),
  requestedBy: z.object({ id: z.string(), displayName: z.string() }).nullable(),
  createdAt: isoDate,
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
});
export type ScanView = z.infer<typeof scanView>;

export const scanIdInput = z.object({ scanId: uuid });
export const listScansInput = pageInput.extend({ status: scanStatus.optional() });
export const scanPage = pageOf(scanView);

export const match = z.enum(DISCOVERY_MATCHES);
export const listResultsInput = pageInput.extend({
  scanId: uuid,
  match: match.optional(),
  /**
   * Every result is an open TCP port; true keeps only those that answered as SSH servers
   * (banner and host key read), hiding other open ports the scan was asked about.
   */
  openOnly: z.boolean().default(false),
  /** Hide results already imported as targets. */
  notImported: z.boolean().default(false),
});
export const resultView = z.object({
  id: z.string(),
  scanId: z.string(),
  address: z.string(),
  port: z.number().int(),
  banner: z.string().nullable(),
  hostKeyType: z.string().nullable(),
  /** OpenSSH form: "SHA256:" + base64 (no padding) of SHA-256 of the host key blob. */
  hostKeyFingerprint: z.string().nullable(),
  reverseDns: z.string().nullable(),
  match: match,
  targetId: z.string().nullable(),
  importedAt: isoDate.nullable(),
  createdAt: isoDate,
});
export type ResultView = z.infer<typeof resultView>;
export const resultPage = pageOf(resultView);

const labelKey = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$/i, "Label keys are letters, digits, '.', '_', '/', '-'");
export const importResultsInput = z.object({
  scanId: uuid,
  resultIds: z.array(uuid).min(1, "Select at least one result").max(1000),
  groupId: uuid.optional(),
  labels: z.record(labelKey, z.string().max(200)).optional(),
  credentialId: uuid.optional(),
});
export type ImportResultsInput = z.infer<typeof importResultsInput>;
export const importResultsResult = z.object({
  targetIds: z.array(z.string()),
  /** Results not imported, and why (already a target, already imported). */
  skipped: z.array(z.object({ resultId: z.string(), reason: z.string() })),
});

export const allowedCidr = z
  .string()
  .trim()
  .max(43)
  .superRefine((text, ctx) => {
    const p = parseSpec(text);
    if (!p.ok || p.spec.kind !== "range" || (text.includes("-") && !text.includes("/"))) {
      ctx.addIssue({ code: "custom", message: `${text}: write a network as a CIDR block (10.0.0.0/16) or one address` });
    }
  });
export const allowedNetwork = z.object({ cidr: allowedCidr, note: z.string().trim().max(200).default("") });
export const allowedNetworkView = z.object({ id: z.string(), cidr: z.string(), note: z.string(), createdAt: isoDate });
export const setAllowedNetworksInput = z.object({ cidrs: z.array(allowedNetwork).max(500) });
