import type { OpenedCredential } from "@ops/domain";

/** The credentials a channel names, opened for this send (or why one cannot be). */
export type ChannelSecrets = Map<string, OpenedCredential | { problem: string }>;

/** The opened credential, or the reason it cannot be used as an Error the attempt records. */
export function secretOf(secrets: ChannelSecrets, id: string, what: string): OpenedCredential {
  const c = secrets.get(id);
  if (!c) throw new SendRefused(`${what}: credential ${id} was not opened`);
  if ("problem" in c) throw new SendRefused(`${what}: ${c.problem}`);
  return c;
}

/** A send stopped before anything left the worker (bad settings, unusable credential). */
export class SendRefused extends Error {}
