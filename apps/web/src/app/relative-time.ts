const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400],
  ["month", 30 * 86_400],
  ["week", 7 * 86_400],
  ["day", 86_400],
  ["hour", 3600],
  ["minute", 60],
];

/** Made on first use, not when the module loads: a page that shows no relative time pays nothing. */
let formatter: Intl.RelativeTimeFormat | undefined;
const format = () => (formatter ??= new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }));

/** "3 minutes ago", "yesterday": the bell and the notifications list read better than a timestamp. */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format().format(Math.trunc(seconds / size), unit);
  }
  return Math.abs(seconds) < 10 ? "just now" : format().format(seconds, "second");
}
