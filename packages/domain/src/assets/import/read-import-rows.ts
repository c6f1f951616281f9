import { Invalid } from "../../errors";
import { IMPORT_COLUMNS } from "../../schemas/assets-targets";
import { parseCsv } from "./csv";

export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
/** One input row before validation: text values, and which columns it carries. */
export type RawRow = {
  line: number;
  values: Partial<Record<ImportColumn, unknown>>;
  present: Set<ImportColumn>;
  /** Shape problems found while reading (wrong field count, unknown keys). */
  problems: string[];
};

const KNOWN = new Set<string>(IMPORT_COLUMNS);

/** CSV: header line then records. JSON: an array of objects with the same keys. */
export function readImportRows(format: "csv" | "json", content: string): RawRow[] {
  return format === "csv" ? readCsv(content) : readJson(content);
}

function readCsv(content: string): RawRow[] {
  const records = parseCsv(content);
  const header = records.shift();
  if (!header) throw new Invalid("The file is empty: the first line must name the columns", "content");
  const columns = header.fields.map((h) => h.trim().toLowerCase());
  const unknown = columns.filter((c) => !KNOWN.has(c));
  if (unknown.length)
    throw new Invalid(
      `Line 1: unknown column ${unknown.map((u) => `"${u}"`).join(", ")}; columns are ${IMPORT_COLUMNS.join(",")}`,
      "content",
    );
  for (const need of ["name", "address"] as const) {
    if (!columns.includes(need)) throw new Invalid(`Line 1: the "${need}" column is required`, "content");
  }
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new Invalid(`Line 1: column "${c}" appears twice`, "content");
    seen.add(c);
  }
  const present = new Set(columns as ImportColumn[]);
  return records.map((r) => {
    const values: RawRow["values"] = {};
    columns.forEach((c, i) => (values[c as ImportColumn] = r.fields[i] ?? ""));
    const problems = r.fields.length === columns.length ? [] : [`Has ${r.fields.length} fields; the header has ${columns.length}`];
    return { line: r.line, values, present, problems };
  });
}

function readJson(content: string): RawRow[] {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (e) {
    throw new Invalid(`Not valid JSON: ${(e as Error).message}`, "content");
  }
  if (!Array.isArray(data)) throw new Invalid("JSON imports are an array of objects", "content");
  return data.map((item, i) => {
    if (!item || typeof item !== "object" || Array.isArray(item)) {
      return { line: i + 1, values: {}, present: new Set<ImportColumn>(), problems: ["Each element must be an object"] };
    }
    const values: RawRow["values"] = {};
    const present = new Set<ImportColumn>();
    const problems: string[] = [];
    for (const [k, v] of Object.entries(item)) {
      const key = k.toLowerCase();
      if (!KNOWN.has(key)) {
        problems.push(`Unknown key "${k}"`);
        continue;
      }
      values[key as ImportColumn] = v;
      present.add(key as ImportColumn);
    }
    return { line: i + 1, values, present, problems };
  });
}
