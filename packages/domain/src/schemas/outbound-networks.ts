import { z } from "zod";
import { parseNetwork } from "../net/cidr";
import { isoDate } from "./common";

/**
 * Settings > Outbound networks: networks `http.request` steps and webhooks may reach
 * although the outbound rules refuse them by default (loopback, private, link-local,
 * metadata). Platform-wide; read and changed with settings.manage.
 */
export const outboundCidr = z
  .string()
  .trim()
  .max(60)
  .superRefine((text, ctx) => {
    const p = parseNetwork(text);
    if (!p.ok) ctx.addIssue({ code: "custom", message: p.message });
  });
export const outboundNetwork = z.object({ cidr: outboundCidr, note: z.string().trim().max(200).default("") });
export const outboundNetworkView = z.object({ id: z.string(), cidr: z.string(), note: z.string(), createdAt: isoDate });
export type OutboundNetworkView = z.infer<typeof outboundNetworkView>;
/** Replaces the whole list (the admin edits it as one form). */
export const setOutboundNetworksInput = z.object({ networks: z.array(outboundNetwork).max(500) });
export type SetOutboundNetworksInput = z.input<typeof setOutboundNetworksInput>;
