import { lookup } from "node:dns/promises";
import { Invalid } from "../../errors";
import {
  CONFIRM_ABOVE_ADDRESSES,
  countAddresses,
  firstUncovered,
  formatIpv4,
  MAX_ADDRESSES,
  mergeRanges,
  parseIpv4,
  parseSpec,
  type AddressRange,
} from "./address-spec";
import { expandPorts, parsePortSpec } from "./port-spec";

/** Addresses x ports in one scan: a /16 on 16 ports, or one /24 on 4096 ports. */
export const MAX_PROBES = 1_048_576;

export type ScanPlan = {
  /** Merged, sorted: every address once. */
  ranges: AddressRange[];
  addressCount: number;
  ports: number[];
  /** addresses x ports: the progress bar's total. */
  probes: number;
};

export type ResolveHost = (name: string) => Promise<number[]>;

const RESOLVE_TIMEOUT_MS = 3000;

/** IPv4 addresses of a host name through the system resolver (/etc/hosts first). */
export const resolveHostIpv4: ResolveHost = async (name) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error("timed out")), RESOLVE_TIMEOUT_MS);
  });
  try {
    const found = await Promise.race([lookup(name, { family: 4, all: true }), timeout]);
    return found.map((f) => parseIpv4(f.address)).filter((n): n is number => n !== null);
  } finally {
    clearTimeout(timer);
  }
};

/** Allowed networks as merged ranges (bad rows are skipped: they were validated when set). */
export function allowedRanges(cidrs: string[]): AddressRange[] {
  const out: AddressRange[] = [];
  for (const c of cidrs) {
    const p = parseSpec(c);
    if (p.ok && p.spec.kind === "range") out.push(p.spec.range);
  }
  return mergeRanges(out);
}

/**
 * Turns what the user typed into the exact set of probes, or refuses with a message a
 * form can show next to the offending spec. Used by the API (to refuse early and store
 * the total) and by the worker (which re-resolves names and re-checks the allow-list:
 * DNS and the allow-list may have changed since).
 */
export async function planScan(input: {
  specs: string[];
  /** Ports and port ranges ("22100-22110"). */
  ports: (number | string)[];
  allowedCidrs: string[];
  confirmLarge: boolean;
  resolveHost?: ResolveHost;
}): Promise<ScanPlan> {
  const resolveHost = input.resolveHost ?? resolveHostIpv4;
  const allowed = allowedRanges(input.allowedCidrs);
  const allowedText = input.allowedCidrs.length ? input.allowedCidrs.join(", ") : "none: an admin must add networks first";
  const ranges: AddressRange[] = [];
  for (const [i, raw] of input.specs.entries()) {
    const field = `specs.${i}`;
    const parsed = parseSpec(raw);
    if (!parsed.ok) throw new Invalid(parsed.message, field);
    let specRanges: AddressRange[];
    if (parsed.spec.kind === "range") specRanges = [parsed.spec.range];
    else {
      const found = await resolveHost(parsed.spec.name).catch(() => []);
      if (!found.length) throw new Invalid(`${parsed.spec.name}: the name does not resolve to an IPv4 address`, field);
      specRanges = found.map((a) => ({ start: a, end: a }));
    }
    for (const r of specRanges) {
      // Checked before counting: a huge block outside the allow-list is refused for that reason.
      const outside = firstUncovered(r, allowed);
      if (outside !== null) {
        throw new Invalid(
          `${raw.trim()}: address ${formatIpv4(outside)} is outside every network discovery may scan (allowed: ${allowedText})`,
          field,
        );
      }
      ranges.push(r);
    }
  }
  const merged = mergeRanges(ranges);
  const addressCount = countAddresses(merged);
  if (addressCount > MAX_ADDRESSES) {
    throw new Invalid(`${addressCount} addresses is more than a /16 (${MAX_ADDRESSES}); split the scan`, "specs");
  }
  if (addressCount > CONFIRM_ABOVE_ADDRESSES && !input.confirmLarge) {
    throw new Invalid(
      `${addressCount} addresses is more than a /20 (${CONFIRM_ABOVE_ADDRESSES}); confirm the large scan to start it`,
      "confirmLarge",
    );
  }
  for (const [i, spec] of input.ports.entries()) {
    const p = parsePortSpec(spec);
    if (!p.ok) throw new Invalid(p.message, `ports.${i}`);
  }
  const ports = expandPorts(input.ports);
  if (ports.length === 0) throw new Invalid("Enter at least one port", "ports");
  const probes = addressCount * ports.length;
  if (probes > MAX_PROBES) {
    throw new Invalid(
      `${addressCount} address${addressCount === 1 ? "" : "es"} x ${ports.length} port${ports.length === 1 ? "" : "s"} is ${probes} probes, ` +
        `more than ${MAX_PROBES} in one scan; scan fewer ports or addresses`,
      "ports",
    );
  }
  return { ranges: merged, addressCount, ports, probes };
}
