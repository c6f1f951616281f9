export type Row = { bench: string; metric: string; value: string; target?: string; pass?: boolean };

export const rows: Row[] = [];

export function record(row: Row) {
  rows.push(row);
  const verdict = row.pass === undefined ? "" : row.pass ? "  PASS" : "  FAIL";
  console.log(`  ${row.metric}: ${row.value}${row.target ? ` (target ${row.target})` : ""}${verdict}`);
}

export function markdownTable(list: Row[] = rows): string {
  const lines = ["| bench | metric | value | target | result |", "| --- | --- | --- | --- | --- |"];
  for (const r of list)
    lines.push(`| ${r.bench} | ${r.metric} | ${r.value} | ${r.target ?? ""} | ${r.pass === undefined ? "" : r.pass ? "PASS" : "FAIL"} |`);
  return lines.join("\n");
}

export const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
