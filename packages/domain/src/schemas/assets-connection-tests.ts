import { z } from "zod";
import { isoDate, pageInput, pageOf, uuid } from "./common";
import { targetFilters } from "./assets-targets";

export const connectionTestStepView = z.object({
  step: z.enum(["tcp", "handshake", "host_key", "auth", "become", "facts"]),
  ok: z.boolean(),
  ms: z.number(),
  detail: z.string().optional(),
  error: z.string().optional(),
});

export const connectionTestView = z.object({
  id: z.string(),
  batchId: z.string().nullable(),
  targetId: z.string(),
  targetName: z.string(),
  status: z.enum(["queued", "running", "passed", "failed"]),
  steps: z.array(connectionTestStepView),
  /** Operator words: refused, timed out, host not found, host key changed, authentication failed, sudo refused. */
  cause: z.string().nullable(),
  error: z.string().nullable(),
  latencyMs: z.number().nullable(),
  requestedBy: z.string().nullable(),
  createdAt: isoDate,
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
});
export type ConnectionTestView = z.infer<typeof connectionTestView>;

export const TEST_MAX = 5000;
/** CONTRACTS C2: the targets picked, or every target matching the list's filters ("test this group / filter"). */
export const startConnectionTestsInput = z.union([
  z.object({
    targetIds: z.array(uuid).min(1, "Pick at least one target").max(TEST_MAX, `At most ${TEST_MAX} targets per request`),
  }),
  z.object({ filter: targetFilters }),
]);
export type StartConnectionTestsInput = z.infer<typeof startConnectionTestsInput>;
export const startConnectionTestsResult = z.object({ batchId: z.string(), total: z.number().int() });

export const connectionTestBatchInput = z.object({ batchId: uuid });
export const connectionTestBatchView = z.object({
  batchId: z.string(),
  total: z.number().int(),
  done: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  tests: z.array(connectionTestView),
});
export type ConnectionTestBatchView = z.infer<typeof connectionTestBatchView>;

export const connectionTestHistoryInput = pageInput.extend({ targetId: uuid });
export const connectionTestHistoryPage = pageOf(connectionTestView);

export const hostKeyView = z.object({
  targetId: z.string(),
  type: z.string().nullable(),
  fingerprint: z.string().nullable(),
  pinnedAt: isoDate.nullable(),
  pendingType: z.string().nullable(),
  pendingFingerprint: z.string().nullable(),
  pendingSeenAt: isoDate.nullable(),
});
export type HostKeyView = z.infer<typeof hostKeyView>;

export const acceptHostKeyInput = z.object({
  targetId: uuid,
  /** Must equal the pending fingerprint: the admin accepts exactly the key they saw. */
  fingerprint: z
    .string()
    .trim()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "Must be a SHA256 fingerprint as ssh-keygen -l prints it"),
});
export const forgetHostKeyInput = z.object({ targetId: uuid });
