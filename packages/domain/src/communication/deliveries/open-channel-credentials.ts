import type { SystemVerbArgs } from "../../context";
import { DomainError } from "../../errors";
import { openCredentialForUse, type OpenedCredential } from "../../assets/credentials/open-credential-for-use";

/**
 * Opens the vault credentials a channel names (SMTP sign-in, webhook signing key, secret
 * headers) for the worker about to send: decrypted here, kept only in that worker's
 * memory, each use audited by openCredentialForUse. A credential that cannot be opened
 * (deleted, wrong master key) is answered with the reason, so the send fails with it.
 */
export async function openChannelCredentials({
  ctx,
  input,
}: SystemVerbArgs<{ channelName: string; credentialIds: string[] }>): Promise<Map<string, OpenedCredential | { problem: string }>> {
  const opened = new Map<string, OpenedCredential | { problem: string }>();
  for (const id of new Set(input.credentialIds)) {
    try {
      opened.set(
        id,
        await openCredentialForUse(ctx.services.db, ctx.services.masterKeys, id, {
          purpose: `notification channel "${input.channelName}"`,
          actor: null,
        }),
      );
    } catch (e) {
      // Anything else (the database is unreachable) fails the job, which graphile retries.
      if (!(e instanceof DomainError)) throw e;
      const why = e.name === "NotFound" ? "it was deleted" : e.message;
      opened.set(id, { problem: `credential ${id} cannot be used: ${why}` });
    }
  }
  return opened;
}
