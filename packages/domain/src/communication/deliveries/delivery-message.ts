import { z } from "zod";

/**
 * What a delivery row's `message` holds for each channel kind (ADR 0016, decision 3:
 * rendered at fan-out, so every retry sends the same bytes). Read leniently: a webhook
 * body may be stored as the rendered JSON text (`body` or `json`) or as an object.
 */
export const emailDeliveryMessage = z.object({
  to: z.union([z.array(z.string()), z.string().transform((s) => [s])]).default([]),
  subject: z.string(),
  text: z.string(),
  html: z.string().default(""),
});
export type EmailDeliveryMessage = z.infer<typeof emailDeliveryMessage>;

export const webhookDeliveryMessage = z
  .object({ body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(), json: z.string().optional() })
  .transform((m, c) => {
    if (typeof m.body === "string") return { body: m.body };
    if (m.body !== undefined) return { body: JSON.stringify(m.body) };
    if (m.json !== undefined) return { body: m.json };
    c.addIssue({ code: "custom", message: "has no body", path: ["body"] });
    return z.NEVER;
  });
export type WebhookDeliveryMessage = z.infer<typeof webhookDeliveryMessage>;
