import { and, inArray, ne, sql } from "drizzle-orm";
import type { Executor } from "@ops/db";
import { credentials, notificationChannels, outboundAllowedNetworks } from "@ops/db";
import { Forbidden, Invalid } from "../../errors";
import { checkAddress } from "../../net/outbound";
import { parseIpLiteral, parseNetwork } from "../../net/cidr";
import { can, type Principal } from "../../permissions";
import type { EmailChannelConfig, WebhookChannelConfig } from "../../schemas/communication-channels";
import { credentialRefsOf } from "./channel-view";

/** Which vault credential kinds each reference may name. */
const USABLE_KINDS: Record<string, { kinds: string[]; what: string }> = {
  authCredentialId: {
    kinds: ["ssh_password", "generic_secret"],
    what: "a password credential (SSH password or generic secret) with a user name",
  },
  signingCredentialId: { kinds: ["generic_secret"], what: "a generic secret holding the signing key (whsec_...)" },
  credentialId: { kinds: ["generic_secret"], what: "a generic secret holding the header's value" },
};

/** Webhook channels reach out to arbitrary URLs with the platform's identity: they also need webhooks.manage. */
export function assertMayManageChannelKind(principal: Principal | null, kind: string): void {
  if (kind === "webhook" && !can(principal, "webhooks.manage")) {
    throw new Forbidden('You need the "webhooks.manage" permission to change or test webhook channels');
  }
}

/** No other channel has this name, ignoring case; the form shows it at the name. */
export async function assertChannelNameFree(db: Executor, name: string, exceptId?: string): Promise<void> {
  const [taken] = await db
    .select({ id: notificationChannels.id })
    .from(notificationChannels)
    .where(and(sql`lower(${notificationChannels.name}) = lower(${name})`, exceptId ? ne(notificationChannels.id, exceptId) : undefined))
    .limit(1);
  if (taken) throw new Invalid(`A channel named "${name}" already exists`, "name");
}

/**
 * Every credential the config names exists, is of a kind that field can use, and the
 * actor holds credentials.use (the rule runs follow too: automation/runs/credential-use.ts).
 */
export async function assertChannelCredentials(
  db: Executor,
  principal: Principal | null,
  kind: string,
  config: EmailChannelConfig | WebhookChannelConfig,
): Promise<void> {
  const refs = credentialRefsOf(kind, config);
  if (refs.length === 0) return;
  const rows = await db
    .select({ id: credentials.id, name: credentials.name, kind: credentials.kind, username: credentials.username })
    .from(credentials)
    .where(inArray(credentials.id, [...new Set(refs.map((r) => r.id))]));
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const ref of refs) {
    const cred = byId.get(ref.id);
    if (!cred) throw new Invalid("No credential with this id (it may have been deleted)", ref.field);
    const rule = USABLE_KINDS[ref.field.split(".").at(-1)!]!;
    if (!rule.kinds.includes(cred.kind))
      throw new Invalid(`"${cred.name}" is a ${cred.kind.replace(/_/g, " ")} credential; choose ${rule.what}`, ref.field);
    if (ref.field === "config.authCredentialId" && !cred.username) {
      throw new Invalid(`"${cred.name}" has no user name to sign in to the SMTP server with`, ref.field);
    }
    if (!can(principal, "credentials.use")) {
      throw new Forbidden(`You need the "credentials.use" permission to use the credential "${cred.name}" in a channel`);
    }
  }
}

/**
 * A webhook URL whose host is an address literal the outbound rules refuse (loopback,
 * private, metadata...) is refused at save, with the reason; host names are checked when
 * the message is sent, against what they resolve to then.
 */
export async function assertWebhookUrlAllowed(db: Executor, url: string): Promise<void> {
  const host = new URL(url).hostname;
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const literal = parseIpLiteral(bare);
  if (!literal) return;
  const allowed = (await db.select({ cidr: outboundAllowedNetworks.cidr }).from(outboundAllowedNetworks)).flatMap((r) => {
    const p = parseNetwork(r.cidr);
    return p.ok ? [p.network] : [];
  });
  const check = checkAddress(literal, allowed, bare);
  if (!check.ok) throw new Invalid(`Webhooks may not be sent there: ${check.reason}`, "config.url");
}
