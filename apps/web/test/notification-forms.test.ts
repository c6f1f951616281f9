import { DOMAIN_EVENTS } from "@ops/domain/communication/events";
import { channelInput, type ChannelView } from "@ops/domain/schemas/communication-channels";
import { ruleInput } from "@ops/domain/schemas/communication-rules";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { channelDraftOf, channelInputOf, newChannelDraft } from "../src/routes/settings/notifications/channel-draft";
import { formErrors } from "../src/app/form-values";
import { ruleDraftOf, ruleInputOf } from "../src/routes/settings/notifications/rule-draft";
import { payloadRows } from "../src/routes/settings/notifications/variables-reference";

const view = (o: Partial<ChannelView>): ChannelView => ({
  id: "c1",
  name: "hook",
  kind: "webhook",
  enabled: true,
  config: channelInput.parse({ kind: "webhook", name: "x", config: { url: "https://h.example/x" } }).config,
  retry: { maxAttempts: 5, maxBackoffSeconds: 60, windowSeconds: 3600 },
  credentialNames: {},
  ruleCount: 0,
  lastDelivery: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  ...o,
});

describe("notification settings forms", () => {
  it("a stored channel opens in the form and saves back unchanged", () => {
    const secret = "7b0e4b7e-51a4-4a5e-9a39-6f7c1a0e2d11";
    const webhook = view({
      config: {
        url: "https://h.example/x",
        method: "PUT",
        preset: "slack",
        headers: [
          { name: "X-Team", value: "ops" },
          { name: "Authorization", credentialId: secret },
        ],
        signingCredentialId: null,
        timeoutMs: 2500,
      },
    });
    const parsed = channelInput.parse(channelInputOf(channelDraftOf(webhook)));
    expect(parsed).toEqual({ kind: "webhook", name: "hook", enabled: true, config: webhook.config, retry: webhook.retry });

    const email = view({
      kind: "email",
      config: {
        host: "smtp.example.com",
        port: 465,
        tls: "tls",
        allowInvalidCertificate: true,
        authCredentialId: secret,
        from: "ops@example.com",
        defaultRecipients: ["a@example.com", "b@example.com"],
      },
    });
    expect(channelInput.parse(channelInputOf(channelDraftOf(email)))).toMatchObject({ kind: "email", config: email.config });
  });

  it("an empty number box takes the contract's default; a bad one is refused at its field", () => {
    const draft = newChannelDraft("email");
    draft.name = "mail";
    draft.email = { ...draft.email, host: "smtp.example.com", port: "", from: "ops@example.com", defaultRecipients: "a@example.com, nope" };
    draft.retry.maxAttempts = "0";
    const result = channelInput.safeParse(channelInputOf(draft));
    expect(result.success).toBe(false);
    const fields: Record<string, string[]> = {};
    for (const issue of result.error!.issues) (fields[issue.path.join(".")] ??= []).push(issue.message);
    const shown = formErrors(fields, { lists: ["config.defaultRecipients"] });
    expect(shown["config.defaultRecipients"]).toEqual(["Entry 2: Enter a valid email address"]);
    expect(shown["retry.maxAttempts"]).toHaveLength(1);
    expect(shown["config.port"]).toBeUndefined();
  });

  it("the server's field names lose the update's wrapper", () => {
    expect(formErrors({ "channel.config.url": ["bad"], "channel.name": ["Enter a name"] }, { strip: "channel" })).toEqual({
      "config.url": ["bad"],
      name: ["Enter a name"],
    });
  });

  it("a rule sends only the filters the user filled in, and recipients only to an email channel", () => {
    const draft = {
      ...ruleDraftOf(),
      name: "r",
      eventTypes: ["automation.run.failed"],
      inApp: true,
      labels: "  ",
      recipients: "a@example.com",
    };
    const input = ruleInput.parse(ruleInputOf(draft, "webhook"));
    expect(input.filters).toEqual({});
    expect(input.recipients).toEqual([]);
    expect(ruleInput.parse(ruleInputOf({ ...draft, channelId: "7b0e4b7e-51a4-4a5e-9a39-6f7c1a0e2d11" }, "email")).recipients).toEqual([
      "a@example.com",
    ]);
    expect(ruleInput.safeParse(ruleInputOf({ ...draft, inApp: false }, undefined)).error?.issues[0]).toMatchObject({
      path: ["channelId"],
      message: "Choose a channel or in-app",
    });
  });

  it("the variables reference lists nested payload fields from the JSON Schema", () => {
    const rows = payloadRows(z.toJSONSchema(DOMAIN_EVENTS["automation.run.failed"]) as never).map((r) => r.path);
    expect(rows).toContain("event.payload.counts.hostsFailed");
    expect(rows).toContain("event.payload.job.name");
    expect(rows).toContain("event.payload.launchedBy.email");
  });
});
