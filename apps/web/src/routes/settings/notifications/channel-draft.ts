import type {
  ChannelInput,
  ChannelKindValue,
  ChannelView,
  EmailChannelConfig,
  WebhookChannelConfig,
} from "@ops/domain/schemas/communication-channels";
import { numberOrUndefined, splitList } from "../../../app/form-values";

/** A header row of the webhook form: a plain value, or a vault credential whose secret is the value. */
export type HeaderDraft = { name: string; secret: boolean; value: string; credentialId: string };

/** What the channel form edits: every control as text, converted to the contract on submit. */
export type ChannelDraft = {
  kind: ChannelKindValue;
  name: string;
  enabled: boolean;
  email: {
    host: string;
    port: string;
    tls: EmailChannelConfig["tls"];
    allowInvalidCertificate: boolean;
    authCredentialId: string;
    from: string;
    defaultRecipients: string;
  };
  webhook: {
    url: string;
    method: WebhookChannelConfig["method"];
    preset: WebhookChannelConfig["preset"];
    headers: HeaderDraft[];
    signingCredentialId: string;
    timeoutMs: string;
  };
  retry: { maxAttempts: string; maxBackoffSeconds: string; windowSeconds: string };
};

export function newChannelDraft(kind: ChannelKindValue = "webhook"): ChannelDraft {
  return {
    kind,
    name: "",
    enabled: true,
    email: {
      host: "",
      port: "587",
      tls: "starttls",
      allowInvalidCertificate: false,
      authCredentialId: "",
      from: "",
      defaultRecipients: "",
    },
    webhook: { url: "", method: "POST", preset: "standard", headers: [], signingCredentialId: "", timeoutMs: "10000" },
    retry: { maxAttempts: "10", maxBackoffSeconds: "30", windowSeconds: "86400" },
  };
}

export function channelDraftOf(view: ChannelView): ChannelDraft {
  const draft = newChannelDraft(view.kind);
  draft.name = view.name;
  draft.enabled = view.enabled;
  draft.retry = {
    maxAttempts: String(view.retry.maxAttempts),
    maxBackoffSeconds: String(view.retry.maxBackoffSeconds),
    windowSeconds: String(view.retry.windowSeconds),
  };
  if (view.kind === "email") {
    const c = view.config as EmailChannelConfig;
    draft.email = {
      host: c.host,
      port: String(c.port),
      tls: c.tls,
      allowInvalidCertificate: c.allowInvalidCertificate,
      authCredentialId: c.authCredentialId ?? "",
      from: c.from,
      defaultRecipients: c.defaultRecipients.join("\n"),
    };
  } else {
    const c = view.config as WebhookChannelConfig;
    draft.webhook = {
      url: c.url,
      method: c.method,
      preset: c.preset,
      headers: c.headers.map((h) =>
        "credentialId" in h
          ? { name: h.name, secret: true, value: "", credentialId: h.credentialId }
          : { name: h.name, secret: false, value: h.value, credentialId: "" },
      ),
      signingCredentialId: c.signingCredentialId ?? "",
      timeoutMs: String(c.timeoutMs),
    };
  }
  return draft;
}

/** The contract's input from the form; the shared schema then checks it. */
export function channelInputOf(d: ChannelDraft): ChannelInput {
  const retry = {
    maxAttempts: numberOrUndefined(d.retry.maxAttempts),
    maxBackoffSeconds: numberOrUndefined(d.retry.maxBackoffSeconds),
    windowSeconds: numberOrUndefined(d.retry.windowSeconds),
  };
  if (d.kind === "email") {
    const e = d.email;
    return {
      kind: "email",
      name: d.name,
      enabled: d.enabled,
      retry,
      config: {
        host: e.host,
        port: numberOrUndefined(e.port),
        tls: e.tls,
        allowInvalidCertificate: e.allowInvalidCertificate,
        authCredentialId: e.authCredentialId || null,
        from: e.from.trim(),
        defaultRecipients: splitList(e.defaultRecipients),
      },
    };
  }
  const w = d.webhook;
  return {
    kind: "webhook",
    name: d.name,
    enabled: d.enabled,
    retry,
    config: {
      url: w.url.trim(),
      method: w.method,
      preset: w.preset,
      headers: w.headers.map((h) => (h.secret ? { name: h.name, credentialId: h.credentialId } : { name: h.name, value: h.value })),
      signingCredentialId: w.signingCredentialId || null,
      timeoutMs: numberOrUndefined(w.timeoutMs),
    },
  };
}
