import { request as httpRequest, type Agent, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { IpNetwork } from "./cidr";
import { resolveOutbound } from "./outbound";

export type OutboundRequest = {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  /** Cancel or timeout: the request is destroyed at once. */
  signal: AbortSignal;
  /** Networks an admin allowed (loadOutboundAllowList). */
  allowed: readonly IpNetwork[];
  /** Body bytes kept; the rest is counted. */
  maxBodyBytes: number;
  /**
   * A keep-alive agent for the checked address (webhook deliveries reuse connections);
   * asked per address, so a pooled socket only ever serves the address it was opened to.
   * Absent: a fresh connection per request.
   */
  agentFor?: (address: string, protocol: "http:" | "https:") => Agent;
};

export type OutboundResponse = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Bytes read; with `truncated`, reading stopped there. */
  bodyBytes: number;
  truncated: boolean;
  /** The address that was checked and connected to. */
  address: string;
};

/** Refused by the outbound rules, or the URL is unusable: nothing was sent. */
export class OutboundRefused extends Error {}

/**
 * One HTTP(S) request under the outbound rules: the host is resolved once, every address
 * checked, and the connection made to the checked address (the Host header, SNI and
 * certificate check keep the name). Redirects are never followed: a 3xx is the answer.
 */
export async function outboundRequest(req: OutboundRequest): Promise<OutboundResponse> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new OutboundRefused(`${req.url} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OutboundRefused(`${url.protocol.replace(":", "")} URLs are not allowed; use http or https`);
  }
  // WHATWG URL parsing already turned 2130706433, 0x7f000001 and 017700000001 into 127.0.0.1.
  const target = await resolveOutbound(url.hostname, req.allowed);
  if (!target.ok) throw new OutboundRefused(target.reason);
  req.signal.throwIfAborted();

  const pinned: LookupFunction = (_host, options, callback) => {
    // Node asks for all addresses when it races families (autoSelectFamily): answer the one.
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    } else callback(null, target.address, target.family);
  };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<OutboundResponse>((resolve, reject) => {
    const r = send(
      url,
      {
        method: req.method,
        headers: req.headers,
        lookup: pinned,
        signal: req.signal,
        agent: req.agentFor?.(target.address, url.protocol as "http:" | "https:") ?? false,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let total = 0;
        const done = (truncated: boolean) =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            bodyBytes: total,
            truncated,
            address: target.address,
          });
        res.on("data", (d: Buffer) => {
          total += d.length;
          const part = d.subarray(0, req.maxBodyBytes - kept);
          chunks.push(part);
          kept += part.length;
          // Past the cap nothing more is kept: stop reading rather than drain an endless body.
          if (total > kept) {
            done(true);
            res.destroy();
          }
        });
        res.on("error", reject);
        res.on("end", () => done(false));
      },
    );
    r.on("error", reject);
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}
