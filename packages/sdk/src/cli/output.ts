/** Output for humans (tables, lines) or machines (--json); errors go to stderr elsewhere. */
export type Output = {
  json: boolean;
  /** In --json mode prints `data`; otherwise calls `human`. */
  result(data: unknown, human: () => void): void;
  line(text?: string): void;
  table(headers: string[], rows: string[][]): void;
  /** A hint for humans on stderr, so piping stdout stays clean. */
  note(text: string): void;
};

export function createOutput(
  json: boolean,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Output {
  const line = (text = "") => void stdout.write(text + "\n");
  return {
    json,
    result(data, human) {
      if (json) line(JSON.stringify(data, null, 2));
      else human();
    },
    line,
    table(headers, rows) {
      const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
      const format = (cells: string[]) =>
        cells
          .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
          .join("  ")
          .trimEnd();
      line(format(headers));
      for (const row of rows) line(format(row));
    },
    note(text) {
      if (!json) stderr.write(text + "\n");
    },
  };
}

/** "2026-11-27 14:05" in UTC; "-" for none. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace("T", " ");
}
