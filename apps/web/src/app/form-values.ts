import type { FieldErrors } from "./errors";

/**
 * Small conversions between form controls (text) and the contracts' values, shared by
 * the channel, rule and subscription forms.
 */

/** A number input's text: empty means "use the schema's default"; anything else is checked by the schema. */
export function numberOrUndefined(text: string): number | undefined {
  const t = text.trim();
  return t === "" ? undefined : Number(t);
}

/** Addresses typed one per line or separated by commas. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Field errors as the form shows them: the server's keys lose the wrapper of an update
 * (`channel.config.host` -> `config.host`), and an error about one entry of a list typed
 * in one box (`config.defaultRecipients.2`) lands on the box, naming the entry.
 */
export function formErrors(fields: FieldErrors, options: { strip?: string; lists?: string[] } = {}): FieldErrors {
  const out: FieldErrors = {};
  for (const [rawKey, messages] of Object.entries(fields)) {
    let key = options.strip && rawKey.startsWith(`${options.strip}.`) ? rawKey.slice(options.strip.length + 1) : rawKey;
    const list = options.lists?.find((l) => key.startsWith(`${l}.`));
    let shown = messages;
    if (list) {
      const index = Number(key.slice(list.length + 1).split(".")[0]);
      shown = messages.map((m) => (Number.isInteger(index) ? `Entry ${index + 1}: ${m}` : m));
      key = list;
    }
    (out[key] ??= []).push(...shown);
  }
  return out;
}
