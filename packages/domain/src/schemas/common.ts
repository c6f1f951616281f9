import { z } from "zod";

const plural = (n: number | bigint, one: string, many = `${one}s`) => `${n} ${n === 1 || n === 1n ? one : many}`;

const FORMATS: Record<string, string> = {
  email: "Enter a valid email address",
  uuid: "Must be a valid id",
  guid: "Must be a valid id",
  url: "Enter a valid URL",
  datetime: "Enter a date and time (ISO 8601, e.g. 2026-01-31T09:00:00Z)",
  date: "Enter a date (YYYY-MM-DD)",
  ipv4: "Enter an IPv4 address",
  ipv6: "Enter an IPv6 address",
  cidrv4: "Enter an IPv4 network (e.g. 10.0.0.0/24)",
  cidrv6: "Enter an IPv6 network",
  regex: "Contains characters that are not allowed here",
};

const TYPES: Record<string, string> = {
  string: "Enter text",
  number: "Enter a number",
  int: "Enter a whole number",
  boolean: "Must be yes or no (true or false)",
  array: "Must be a list",
  object: "Must be an object",
  date: "Enter a date",
};

/**
 * Validation messages written for people (CONTRACTS C7), configured once for every
 * schema: this module is imported by each contract, so the API and the dashboard show
 * the same words. A message given at a schema (`.max(100, "...")`) still wins; anything
 * not covered falls back to zod's own text.
 */
export function humanMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined || issue.input === null) return "Required";
      if (issue.expected === "number" && typeof issue.input === "number") return "Enter a number";
      return TYPES[issue.expected];
    case "too_small": {
      const n = issue.minimum;
      if (issue.origin === "string") {
        if (n === 1 && issue.inclusive !== false) return "Required";
        return issue.exact ? `Exactly ${plural(n, "character")}` : `At least ${plural(n, "character")}`;
      }
      if (issue.origin === "array" || issue.origin === "set") {
        if (n === 1 && issue.inclusive !== false) return "Choose at least one";
        return `At least ${plural(n, "item")}`;
      }
      if (issue.origin === "number" || issue.origin === "int")
        return issue.inclusive === false ? `Must be more than ${n}` : `At least ${n}`;
      return undefined;
    }
    case "too_big": {
      const n = issue.maximum;
      if (issue.origin === "string") return issue.exact ? `Exactly ${plural(n, "character")}` : `At most ${plural(n, "character")}`;
      if (issue.origin === "array" || issue.origin === "set") return `At most ${plural(n, "item")}`;
      if (issue.origin === "number" || issue.origin === "int") return issue.inclusive === false ? `Must be less than ${n}` : `At most ${n}`;
      return undefined;
    }
    case "invalid_format":
      return FORMATS[issue.format] ?? "Not in the expected format";
    case "invalid_value":
      return issue.values.length === 1 ? `Must be ${JSON.stringify(issue.values[0])}` : `Choose one of: ${issue.values.join(", ")}`;
    case "not_multiple_of":
      return `Must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return `Unknown field${issue.keys.length === 1 ? "" : "s"}: ${issue.keys.join(", ")}`;
    case "invalid_key":
    case "invalid_element":
      // A record key or map element that failed its own schema: say what that said.
      return issue.issues[0]?.message ?? "Invalid value";
    case "invalid_union":
    case "custom":
      return "Invalid value";
    default:
      return undefined;
  }
}

z.config({ customError: humanMessage });

export const uuid = z.uuid({ message: "Must be a valid id" });

/** Server-side pagination, shared by every list. */
export const pageInput = z.object({
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(200).default(25),
});
export type PageInput = z.infer<typeof pageInput>;

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
}
export type Page<T> = { items: T[]; total: number; page: number; pageSize: number };

export const isoDate = z.string();
