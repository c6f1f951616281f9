import { Invalid } from "../../errors";

export type CsvRecord = { line: number; fields: string[] };

/**
 * RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks; CRLF
 * or LF ends a record. Each record keeps the physical line it starts on, so a preview
 * can point at it. Written here rather than adding csv-parse: we need the start line of
 * every record and nothing else that library offers.
 */
export function parseCsv(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a spreadsheet's byte-order mark
  let line = 1;
  let recordLine = 1;
  let fields: string[] = [];
  let field = "";
  let quoted = false; // the current field was quoted (so "" is a field, not a blank line)
  const endField = () => {
    fields.push(unguard(field));
    field = "";
  };
  const endRecord = () => {
    const blank = fields.length === 0 && field === "" && !quoted;
    endField();
    if (!blank) out.push({ line: recordLine, fields });
    fields = [];
    quoted = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && field === "" && !quoted) {
      quoted = true;
      const opened = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new Invalid(`Line ${opened}: a quoted field is never closed`, "content");
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === "\n") line++;
        field += q;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        throw new Invalid(`Line ${line}: unexpected text after a closing quote`, "content");
      }
      continue;
    }
    if (c === ",") {
      endField();
      quoted = false;
      i++;
      continue;
    }
    if (c === "\r" || c === "\n") {
      endRecord();
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    field += c;
    i++;
  }
  if (field !== "" || fields.length || quoted) endRecord();
  return out;
}

/**
 * Spreadsheets run a cell starting with = + - @ as a formula (CSV injection). Exported
 * cells get a leading apostrophe, which the reader removes, so files still round-trip.
 */
const FORMULA = /^[=+\-@\t\r]/;
function guard(value: string): string {
  return FORMULA.test(value) ? `'${value}` : value;
}
function unguard(value: string): string {
  return value.startsWith("'") && FORMULA.test(value.slice(1)) ? value.slice(1) : value;
}

function quote(raw: string): string {
  const value = guard(raw);
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** RFC 4180 writer (CRLF line ends; quotes only where needed). */
export function writeCsv(rows: string[][]): string {
  return rows.map((r) => r.map(quote).join(",")).join("\r\n") + "\r\n";
}
