import nodemailer, { type Transporter } from "nodemailer";
import type { SentMessageInfo } from "nodemailer/lib/smtp-pool";
import { emailDeliveryMessage, type ClaimedDelivery, type DeliveryOutcome, type SendingChannel } from "@ops/domain";
import { secretOf, SendRefused, type ChannelSecrets } from "./channel-secrets";

type EmailChannel = Extract<SendingChannel, { kind: "email" }>;

/** Where the Message-ID and the idempotency key meet: the same delivery always has the same id (ADR 0016, decision 7). */
export const messageIdOf = (idempotencyKey: string) => `<${idempotencyKey}@opsconductor>`;

/**
 * Email through SMTP with nodemailer: one pooled transport per channel per worker, kept
 * across jobs while the channel and its credential stay the same (a changed channel or a
 * new password builds a new one; the old one is closed), closed when the worker stops.
 */
export type EmailSender = {
  send(channel: EmailChannel, delivery: ClaimedDelivery, openSecrets: () => Promise<ChannelSecrets>): Promise<DeliveryOutcome>;
  close(): void;
};

export function createEmailSender(): EmailSender {
  const transports = new Map<string, { version: string; transport: Transporter<SentMessageInfo> }>();

  async function transportFor(channel: EmailChannel, openSecrets: () => Promise<ChannelSecrets>) {
    const config = channel.config!;
    const version = `${channel.updatedAt.toISOString()}|${channel.credentialsUpdatedAt?.toISOString() ?? "-"}|${JSON.stringify(config)}`;
    const cached = transports.get(channel.id);
    if (cached?.version === version) return cached.transport;
    cached?.transport.close();
    transports.delete(channel.id);
    const auth = config.authCredentialId ? secretOf(await openSecrets(), config.authCredentialId, "SMTP sign-in") : null;
    const transport = nodemailer.createTransport({
      pool: true,
      // One connection: messages of a channel go out one after another, in order.
      maxConnections: 1,
      host: config.host,
      port: config.port,
      secure: config.tls === "tls",
      // starttls: refuse a server that does not upgrade rather than send in plain text.
      ...(config.tls === "starttls" ? { requireTLS: true } : {}),
      ...(config.tls === "none" ? { ignoreTLS: true } : {}),
      tls: { rejectUnauthorized: !config.allowInvalidCertificate },
      auth: auth ? { user: auth.username, pass: auth.secret } : undefined,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
    });
    transports.set(channel.id, { version, transport });
    return transport;
  }

  return {
    async send(channel, delivery, openSecrets) {
      const at = new Date();
      const t0 = performance.now();
      const done = (o: Omit<DeliveryOutcome, "at" | "durationMs">): DeliveryOutcome => ({ ...o, at, durationMs: performance.now() - t0 });
      const parsed = emailDeliveryMessage.safeParse(delivery.message);
      if (!parsed.success) {
        return done({
          ok: false,
          permanent: true,
          statusCode: null,
          responseExcerpt: null,
          error: `the stored message is not an email: ${parsed.error.issues[0]?.message}`,
        });
      }
      const config = channel.config;
      if (!config) return done({ ok: false, statusCode: null, responseExcerpt: null, error: channel.configProblem });
      const to = parsed.data.to.length ? parsed.data.to : config.defaultRecipients;
      if (to.length === 0) {
        return done({
          ok: false,
          statusCode: null,
          responseExcerpt: null,
          error: "no recipients: the rule names none and the channel has no default recipients",
        });
      }
      let transport: Transporter<SentMessageInfo>;
      try {
        transport = await transportFor(channel, openSecrets);
      } catch (e) {
        // An unusable credential is this attempt's failure; anything else (the database) fails the job.
        if (e instanceof SendRefused) return done({ ok: false, statusCode: null, responseExcerpt: null, error: e.message });
        throw e;
      }
      try {
        const info = await transport.sendMail({
          from: config.from,
          to,
          subject: parsed.data.subject,
          text: parsed.data.text,
          html: parsed.data.html || undefined,
          messageId: messageIdOf(delivery.idempotencyKey),
          headers: { "X-OpsConductor-Event": delivery.eventType },
        });
        const rejected = (info.rejected ?? []).map(String);
        const reply = `${info.response}${rejected.length ? ` (refused recipients: ${rejected.join(", ")})` : ""}`;
        return done({ ok: true, statusCode: replyCode(info.response), responseExcerpt: reply, error: null });
      } catch (e) {
        const err = e as Error & { code?: string; command?: string; response?: string; responseCode?: number };
        // A pool that failed may hold a dead connection: the next attempt starts afresh.
        transports.get(channel.id)?.transport.close();
        transports.delete(channel.id);
        return done({
          ok: false,
          statusCode: err.responseCode ?? null,
          responseExcerpt: err.response ?? null,
          error: describeSmtpError(err, config),
        });
      }
    },
    close() {
      for (const { transport } of transports.values()) transport.close();
      transports.clear();
    },
  };
}

function replyCode(response: string | undefined): number | null {
  const m = /^(\d{3})/.exec(response ?? "");
  return m ? Number(m[1]) : null;
}

function describeSmtpError(
  err: Error & { code?: string; command?: string; response?: string },
  config: { host: string; port: number; tls: string },
): string {
  const server = `${config.host}:${config.port}`;
  if (err.code === "ETLS" && err.command === "STARTTLS" && err.response) {
    return `the SMTP server at ${server} does not offer STARTTLS (it answered "${err.response.trim()}") and this channel requires it; choose TLS "none" only for a trusted relay`;
  }
  if (err.code === "EAUTH") return `the SMTP server at ${server} refused the sign-in: ${err.message}`;
  return `SMTP ${server}: ${err.message}`;
}
