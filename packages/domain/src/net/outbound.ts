import { lookup } from "node:dns/promises";
import { embeddedIpv4, formatIp, inNetwork, parseIpLiteral, parseNetwork, type IpAddress, type IpNetwork } from "./cidr";

/**
 * Outbound address rules (issue 7 point 3, issue 8 point 2): where an `http.request` step
 * or a webhook may connect. Loopback, private, link-local, CGNAT, metadata and other
 * non-public addresses are refused, in every spelling, unless an admin allow-listed a
 * network holding them (Settings > Outbound networks). Server-side only (DNS).
 */

const WHERE = "an admin can allow it under Settings > Outbound networks";

type Rule = { network: IpNetwork; what: string };
const rule = (cidr: string, what: string): Rule => {
  const p = parseNetwork(cidr);
  if (!p.ok) throw new Error(p.message);
  return { network: p.network, what };
};

/** Most specific first: the metadata address is named before link-local holds it. */
const REFUSED: Rule[] = [
  rule("169.254.169.254/32", "a cloud metadata address"),
  rule("fd00:ec2::254/128", "a cloud metadata address"),
  rule("0.0.0.0/8", 'a "this network" address'),
  rule("127.0.0.0/8", "a loopback address"),
  rule("10.0.0.0/8", "a private address"),
  rule("172.16.0.0/12", "a private address"),
  rule("192.168.0.0/16", "a private address"),
  rule("100.64.0.0/10", "a carrier-grade NAT (shared) address"),
  rule("169.254.0.0/16", "a link-local address"),
  rule("192.0.0.0/24", "an IETF protocol assignment address"),
  rule("198.18.0.0/15", "a benchmarking address"),
  rule("224.0.0.0/4", "a multicast address"),
  rule("240.0.0.0/4", "a reserved address"),
  rule("::/128", "the unspecified address"),
  rule("::1/128", "a loopback address"),
  rule("fc00::/7", "a private (unique local) address"),
  rule("fe80::/10", "a link-local address"),
  rule("ff00::/8", "a multicast address"),
];

export type OutboundCheck =
  | { ok: true; address: IpAddress }
  /** `judged`: the address the rule applied to (inside a mapped one); `what`: which kind of address it is. */
  | { ok: false; reason: string; judged: string; what: string };

/**
 * Checks one address. `spelled` is how the user wrote it, named in the reason when it is
 * not the canonical form ("2130706433 is 127.0.0.1, a loopback address; ...").
 */
export function checkAddress(address: IpAddress, allowed: readonly IpNetwork[], spelled?: string): OutboundCheck {
  // An IPv4-mapped or NAT64 address reaches the IPv4 address inside it: judge that one.
  const judged = embeddedIpv4(address) ?? address;
  const canonical = formatIp(judged);
  const hit = REFUSED.find((r) => inNetwork(judged, r.network));
  if (!hit) return { ok: true, address };
  if (allowed.some((n) => inNetwork(judged, n) || inNetwork(address, n))) return { ok: true, address };
  const name = spelled && spelled !== canonical ? `${spelled} is ${canonical}, ${hit.what}` : `${canonical} is ${hit.what}`;
  return { ok: false, reason: `${name}; ${WHERE}`, judged: canonical, what: hit.what };
}

export type ResolvedTarget = { ok: true; address: string; family: 4 | 6 } | { ok: false; reason: string };

/**
 * Resolves a URL's host once and checks every address it has: the answer is the one
 * address to connect to (so a second lookup cannot rebind the name elsewhere). A name
 * with any refused address is refused.
 */
export async function resolveOutbound(host: string, allowed: readonly IpNetwork[]): Promise<ResolvedTarget> {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const literal = parseIpLiteral(bare);
  if (literal) {
    const c = checkAddress(literal, allowed, bare);
    return c.ok ? { ok: true, address: formatIp(literal), family: literal.family } : { ok: false, reason: c.reason };
  }
  let answers: { address: string; family: number }[];
  try {
    answers = await lookup(bare, { all: true, verbatim: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { ok: false, reason: `${bare} does not resolve${code ? ` (${code})` : ""}` };
  }
  if (answers.length === 0) return { ok: false, reason: `${bare} does not resolve` };
  let first: IpAddress | null = null;
  for (const a of answers) {
    const parsed = parseIpLiteral(a.address);
    if (!parsed) return { ok: false, reason: `${bare} resolves to ${a.address}, which is not an address` };
    const c = checkAddress(parsed, allowed);
    if (!c.ok) return { ok: false, reason: `${bare} resolves to ${c.judged}, ${c.what}; ${WHERE}` };
    first ??= parsed;
  }
  return { ok: true, address: formatIp(first!), family: first!.family };
}
