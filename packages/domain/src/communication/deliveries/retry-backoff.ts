import type { RetryPolicy } from "../../schemas/communication-channels";

/**
 * The wait before the next attempt after a failed attempt number `attempt` (1-based):
 * exponential from 1 s with full jitter (a random wait between 0 and the step), capped at
 * the channel's `maxBackoffSeconds` (ADR 0016, decision 4). Full jitter spreads the
 * retries of many channels pointed at one receiver that just came back.
 */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, "maxBackoffSeconds">, random: () => number = Math.random): number {
  const stepMs = Math.min(policy.maxBackoffSeconds * 1000, 1000 * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.floor(random() * stepMs);
}
