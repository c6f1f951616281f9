/**
 * Ports a discovery scan probes: numbers, or text naming one port ("2222") or an
 * inclusive range ("22100-22110"), as addresses take ranges. Browser-safe: the scan
 * form and the API parse with the same rules.
 */
export type PortRange = { start: number; end: number };
export type PortParse = { ok: true; range: PortRange } | { ok: false; message: string };

const RANGE = /^(\d{1,5})\s*-\s*(\d{1,5})$/;
const PORTS_ARE = "Ports are 1 to 65535";

export function parsePortSpec(spec: number | string): PortParse {
  if (typeof spec === "number") {
    return Number.isInteger(spec) && spec >= 1 && spec <= 65535
      ? { ok: true, range: { start: spec, end: spec } }
      : { ok: false, message: PORTS_ARE };
  }
  const text = spec.trim();
  if (/^\d{1,5}$/.test(text)) return parsePortSpec(Number(text));
  const m = RANGE.exec(text);
  if (!m) return { ok: false, message: `${text}: not a port or a port range (write e.g. 22 or 22100-22110)` };
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start < 1 || end < 1 || start > 65535 || end > 65535) return { ok: false, message: `${text}: ${PORTS_ARE}` };
  if (end < start) return { ok: false, message: `${text}: the range ends before it starts` };
  return { ok: true, range: { start, end } };
}

/** Every port once, ascending. Specs must be valid (parse them first). */
export function expandPorts(specs: readonly (number | string)[]): number[] {
  const seen = new Set<number>();
  for (const s of specs) {
    const p = parsePortSpec(s);
    if (!p.ok) throw new Error(p.message);
    for (let n = p.range.start; n <= p.range.end; n++) seen.add(n);
  }
  return [...seen].sort((a, b) => a - b);
}

/** [22, 2222, 22100, ..., 22110] -> "22, 2222, 22100-22110": how a scan's ports are shown. */
export function formatPorts(ports: readonly number[]): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return out.join(", ");
}
