/**
 * What a discovery scan may be asked to scan: "10.0.0.0/24", "10.0.0.5-10.0.0.9",
 * "10.0.0.5-9", "10.0.0.5" or a host name. IPv4 only; addresses are unsigned 32-bit ints.
 */
export type AddressRange = { start: number; end: number };
export type ParsedSpec = { kind: "range"; range: AddressRange } | { kind: "host"; name: string };
export type SpecParse = { ok: true; spec: ParsedSpec } | { ok: false; message: string };

/** Past a /20 the user must confirm; past a /16 we refuse (the size guard). */
export const CONFIRM_ABOVE_ADDRESSES = 4096;
export const MAX_ADDRESSES = 65536;

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** "a.b.c.d" -> int, or null when it is not a dotted quad of 0-255. */
export function parseIpv4(text: string): number | null {
  const m = OCTETS.exec(text);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith("0")) return null; // "010" is octal to some tools: refuse the ambiguity
    const o = Number(part);
    if (o > 255) return null;
    n = n * 256 + o;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function cidrRange(base: number, prefix: number): AddressRange {
  const size = 2 ** (32 - prefix);
  const start = Math.floor(base / size) * size;
  return { start, end: start + size - 1 };
}

export function parseSpec(raw: string): SpecParse {
  const text = raw.trim();
  if (!text) return { ok: false, message: "Enter an address, a range, a CIDR block or a host name" };
  if (text.includes("/")) {
    const [addr, bits, ...rest] = text.split("/");
    const base = parseIpv4(addr!);
    if (base === null || rest.length) return { ok: false, message: `${text}: not a CIDR block (write e.g. 10.0.0.0/24)` };
    if (!/^\d{1,2}$/.test(bits!) || Number(bits) > 32) return { ok: false, message: `${text}: the prefix length must be 0 to 32` };
    return { ok: true, spec: { kind: "range", range: cidrRange(base, Number(bits)) } };
  }
  if (text.includes("-") && /^\d/.test(text) && /^[\d.\-\s]+$/.test(text)) {
    const [a, b, ...rest] = text.split("-").map((s) => s.trim());
    const start = parseIpv4(a!);
    if (start === null || rest.length || !b) return { ok: false, message: `${text}: not a range (write a.b.c.d-a.b.c.e or a.b.c.d-e)` };
    let end: number | null;
    if (/^\d{1,3}$/.test(b)) end = Number(b) > 255 ? null : start - (start & 255) + Number(b);
    else end = parseIpv4(b);
    if (end === null) return { ok: false, message: `${text}: the end of the range is not an address` };
    if (end < start) return { ok: false, message: `${text}: the range ends before it starts` };
    return { ok: true, spec: { kind: "range", range: { start, end } } };
  }
  const single = parseIpv4(text);
  if (single !== null) return { ok: true, spec: { kind: "range", range: { start: single, end: single } } };
  if (/^[\d.]+$/.test(text)) return { ok: false, message: `${text}: not a valid IPv4 address` };
  if (!HOST_NAME.test(text)) return { ok: false, message: `${text}: not an address, range, CIDR block or host name` };
  return { ok: true, spec: { kind: "host", name: text.toLowerCase().replace(/\.$/, "") } };
}

/** Sorted, overlapping and adjacent ranges joined: counts and iteration see each address once. */
export function mergeRanges(ranges: AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: AddressRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

export function countAddresses(merged: AddressRange[]): number {
  return merged.reduce((n, r) => n + (r.end - r.start + 1), 0);
}

/**
 * The first address of `range` that no allowed network covers, or null when all are
 * covered. `allowed` must be merged (sorted, disjoint).
 */
export function firstUncovered(range: AddressRange, allowed: AddressRange[]): number | null {
  let cursor = range.start;
  for (const a of allowed) {
    if (a.end < cursor) continue;
    if (a.start > cursor) return cursor;
    cursor = a.end + 1;
    if (cursor > range.end) return null;
  }
  return cursor;
}
