import { formatIpv4, parseIpv4, parseSpec } from "../assets/discovery/address-spec";

/**
 * IP addresses and networks of both families, browser-safe (no Node modules): the
 * outbound-networks contract validates with it, the worker matches with it. IPv4 networks
 * are parsed as discovery's allowed networks are (address-spec.ts); IPv6 is added here.
 */
export type IpAddress = { family: 4 | 6; value: bigint };
export type IpNetwork = { family: 4 | 6; base: bigint; prefix: number };

const BITS = { 4: 32, 6: 128 } as const;

/**
 * IPv4 in any spelling inet_aton accepts: "127.0.0.1", "2130706433", "0x7f000001",
 * "017700000001", "127.1", "0x7f.0.0.1". Outbound checks must see through them all.
 */
export function parseLooseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length > 4 || parts.some((p) => p === "")) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = p.length === 1 ? 0 : parseInt(p.slice(1), 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = Number(p);
    else return null;
    if (!Number.isSafeInteger(n)) return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255)) return null;
  if (last >= 2 ** (8 * (4 - nums.length))) return null;
  let value = 0;
  for (const n of nums) value = value * 256 + n;
  return value * 2 ** (8 * (4 - nums.length)) + last;
}

/** "::1", "fe80::1", "::ffff:127.0.0.1" -> 128-bit value; null when not IPv6. Zone ids are refused. */
export function parseIpv6(raw: string): bigint | null {
  const text = raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw;
  if (!text.includes(":") || text.includes("%")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-f]{1,4}$/i.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  let value = 0n;
  for (const g of [...head, ...Array<number>(missing).fill(0), ...tail]) value = (value << 16n) | BigInt(g);
  return value;
}

export function formatIpv6(value: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  // The longest run of zero groups (two or more) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** An address literal: IPv4 in any inet_aton spelling, or IPv6 (bracketed or not). */
export function parseIpLiteral(text: string): IpAddress | null {
  const v4 = parseLooseIpv4(text);
  if (v4 !== null) return { family: 4, value: BigInt(v4) };
  const v6 = parseIpv6(text);
  return v6 === null ? null : { family: 6, value: v6 };
}

export function formatIp(a: IpAddress): string {
  return a.family === 4 ? formatIpv4(Number(a.value)) : formatIpv6(a.value);
}

/**
 * The IPv4 address an IPv6 address carries and reaches: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
 */
export function embeddedIpv4(a: IpAddress): IpAddress | null {
  if (a.family !== 6) return null;
  const low = a.value & 0xffffffffn;
  const top = a.value >> 32n;
  if (top === 0xffffn || top === 0x64ff9b0000000000000000n) return { family: 4, value: low };
  // ::a.b.c.d, but not :: and ::1, which are IPv6's own.
  if (top === 0n && a.value > 1n) return { family: 4, value: low };
  if (a.value >> 112n === 0x2002n) return { family: 4, value: (a.value >> 80n) & 0xffffffffn };
  return null;
}

export function inNetwork(a: IpAddress, n: IpNetwork): boolean {
  if (a.family !== n.family) return false;
  const shift = BigInt(BITS[n.family] - n.prefix);
  return a.value >> shift === n.base >> shift;
}

export type NetworkParse = { ok: true; network: IpNetwork; cidr: string } | { ok: false; message: string };

/** "10.0.0.7/24" -> 10.0.0.0/24, "fd00::1" -> fd00::1/128: one spelling per network. */
export function parseNetwork(raw: string): NetworkParse {
  const text = raw.trim();
  const bad = { ok: false as const, message: `${text}: write a network as a CIDR block (10.0.0.0/16, fd00::/8) or one address` };
  if (!text) return bad;
  if (!text.includes(":")) {
    // IPv4: discovery's parser, so both lists read addresses alike.
    const p = parseSpec(text);
    if (!p.ok || p.spec.kind !== "range" || (text.includes("-") && !text.includes("/"))) return bad;
    const { start, end } = p.spec.range;
    const prefix = 32 - Math.log2(end - start + 1);
    return { ok: true, network: { family: 4, base: BigInt(start), prefix }, cidr: `${formatIpv4(start)}/${prefix}` };
  }
  const [addr, bits, ...rest] = text.split("/");
  const value = parseIpv6(addr!);
  if (value === null || rest.length) return bad;
  if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > 128)) {
    return { ok: false, message: `${text}: the prefix length must be 0 to 128` };
  }
  const prefix = bits === undefined ? 128 : Number(bits);
  const shift = BigInt(128 - prefix);
  const base = (value >> shift) << shift;
  return { ok: true, network: { family: 6, base, prefix }, cidr: `${formatIpv6(base)}/${prefix}` };
}
