import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { Webhook } from "standardwebhooks";
import {
  OutboundRefused,
  outboundRequest,
  webhookDeliveryMessage,
  type ClaimedDelivery,
  type DeliveryOutcome,
  type IpNetwork,
  type SendingChannel,
} from "@ops/domain";
import { secretOf, SendRefused, type ChannelSecrets } from "./channel-secrets";

type WebhookChannel = Extract<SendingChannel, { kind: "webhook" }>;

/** Kept of a receiver's answer, for the deliveries page. */
export const RESPONSE_EXCERPT_BYTES = 1024;

/**
 * The signing key from a vault secret. A `whsec_...` value is used as Standard Webhooks
 * defines it (base64 of the key after the prefix). Any other value is taken as the raw
 * key bytes (UTF-8), which is the same as `whsec_` + base64(value): what the receiver
 * must configure to verify.
 */
export function signerFor(secret: string): Webhook {
  const s = secret.trim();
  return s.startsWith("whsec_") ? new Webhook(s) : new Webhook(Buffer.from(s, "utf8"), { format: "raw" });
}

export type WebhookSender = {
  send(delivery: ClaimedDelivery): Promise<DeliveryOutcome>;
  /** Closes the kept-alive connections. */
  close(): void;
};

/**
 * Webhooks of one channel for one deliver job (ADR 0016, decision 6): every request
 * through the outbound address rules (the checked address is the one connected to, no
 * redirect followed), signed per Standard Webhooks when the channel names a signing
 * key, over kept-alive connections (one per checked address) so a backlog drains fast.
 */
export function createWebhookSender(
  channel: WebhookChannel,
  opts: { allowed: readonly IpNetwork[]; secrets: ChannelSecrets },
): WebhookSender {
  const agents = new Map<string, HttpAgent>();
  const agentFor = (address: string, protocol: "http:" | "https:") => {
    const key = `${protocol}${address}`;
    let a = agents.get(key);
    if (!a) {
      a = protocol === "https:" ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
      agents.set(key, a);
    }
    return a;
  };
  // Settings and secrets are resolved once per job; a problem with them fails each attempt with its reason.
  let prepared: { headers: Record<string, string>; signer: Webhook | null } | { problem: string };
  try {
    const config = channel.config;
    if (!config) throw new SendRefused(channel.configProblem ?? "the channel's settings are invalid");
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "OpsConductor-Webhook/1" };
    for (const h of config.headers) {
      headers[h.name.toLowerCase()] = "credentialId" in h ? secretOf(opts.secrets, h.credentialId, `header ${h.name}`).secret : h.value;
    }
    const signer = config.signingCredentialId ? signerFor(secretOf(opts.secrets, config.signingCredentialId, "signing key").secret) : null;
    prepared = { headers, signer };
  } catch (e) {
    prepared = { problem: e instanceof SendRefused ? e.message : `the signing key cannot be used: ${(e as Error).message}` };
  }

  return {
    async send(delivery) {
      const at = new Date();
      const t0 = performance.now();
      const done = (o: Omit<DeliveryOutcome, "at" | "durationMs">): DeliveryOutcome => ({ ...o, at, durationMs: performance.now() - t0 });
      const parsed = webhookDeliveryMessage.safeParse(delivery.message);
      if (!parsed.success) {
        return done({
          ok: false,
          permanent: true,
          statusCode: null,
          responseExcerpt: null,
          error: `the stored message has no webhook body`,
        });
      }
      if ("problem" in prepared) return done({ ok: false, statusCode: null, responseExcerpt: null, error: prepared.problem });
      const config = channel.config!;
      const body = parsed.data.body;
      // webhook-id on every request, signed or not: the same for every retry, so a receiver drops duplicates.
      const headers: Record<string, string> = {
        ...prepared.headers,
        "x-opsconductor-event": delivery.eventType,
        "webhook-id": delivery.idempotencyKey,
      };
      if (prepared.signer) {
        const now = new Date();
        headers["webhook-timestamp"] = String(Math.floor(now.getTime() / 1000));
        headers["webhook-signature"] = prepared.signer.sign(delivery.idempotencyKey, now, body);
      }
      const timeout = AbortSignal.timeout(config.timeoutMs);
      try {
        const res = await outboundRequest({
          url: config.url,
          method: config.method,
          headers,
          body,
          signal: timeout,
          allowed: opts.allowed,
          maxBodyBytes: RESPONSE_EXCERPT_BYTES,
          agentFor,
        });
        const excerpt = res.body;
        if (res.status >= 200 && res.status < 300) return done({ ok: true, statusCode: res.status, responseExcerpt: excerpt, error: null });
        return done({
          ok: false,
          statusCode: res.status,
          responseExcerpt: excerpt,
          error: describeStatus(res.status, res.headers.location),
        });
      } catch (e) {
        if (e instanceof OutboundRefused)
          return done({ ok: false, statusCode: null, responseExcerpt: null, error: `refused: ${e.message}` });
        if (timeout.aborted)
          return done({ ok: false, statusCode: null, responseExcerpt: null, error: `no answer within ${config.timeoutMs} ms` });
        const err = e as Error & { code?: string };
        return done({
          ok: false,
          statusCode: null,
          responseExcerpt: null,
          error: `${config.method} ${hostOf(config.url)} failed: ${err.message}`,
        });
      }
    },
    close() {
      for (const a of agents.values()) a.destroy();
      agents.clear();
    },
  };
}

/**
 * Every non-2xx answer is retried. 408, 429 and 5xx are the receiver being busy or down.
 * Other 4xx are retried as well, and said so in the error: giving up on one would drop
 * it while the messages behind it go out, breaking the order the channel promises, and
 * the usual causes (an expired token, a moved endpoint, a proxy's 403) are fixed by an
 * operator, after which everything queued arrives. The retry window bounds the wait.
 */
function describeStatus(status: number, location: string | string[] | undefined): string {
  if (status >= 300 && status < 400) {
    return `answered ${status}${location ? `, a redirect to ${String(location)}` : ""} (redirects are not followed: point the channel at the final URL)`;
  }
  if (status === 408 || status === 429 || status >= 500) return `answered ${status}; retrying`;
  if (status >= 400)
    return `answered ${status}, a client error: retrying in case the receiver is being fixed (check its URL, headers and signing key)`;
  return `answered ${status}, not a 2xx`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
