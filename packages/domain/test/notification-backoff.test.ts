import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../src/index";

describe("notification retry backoff", () => {
  it("doubles from 1 s per attempt, with full jitter, up to the channel's cap", () => {
    const policy = { maxBackoffSeconds: 30 };
    // The largest wait (random just under 1) per attempt: 1, 2, 4, 8, 16, then the 30 s cap.
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((a) => retryDelayMs(a, policy, () => 0.999999))).toEqual([
      999, 1999, 3999, 7999, 15999, 29999, 29999, 29999,
    ]);
    expect(retryDelayMs(4, policy, () => 0)).toBe(0);
    expect(retryDelayMs(4, policy, () => 0.5)).toBe(4000);
    expect(retryDelayMs(3, { maxBackoffSeconds: 1 }, () => 0.999999)).toBe(999);
  });
});
