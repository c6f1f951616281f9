import { useMe } from "./use-me";

type DateFormat = { dateTime: (iso: string) => string; date: (iso: string) => string };

/** One pair of formatters per time zone, for every page: an Intl formatter costs to make. */
const formats = new Map<string, DateFormat>();

function formatIn(zone: string): DateFormat {
  let format = formats.get(zone);
  if (!format) {
    const timeZone = knownZone(zone);
    const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone });
    const date = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone });
    format = { dateTime: (iso) => dateTime.format(new Date(iso)), date: (iso) => date.format(new Date(iso)) };
    formats.set(zone, format);
  }
  return format;
}

/** The zone, if this browser knows it (else the browser's own). */
function knownZone(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

/** Formats ISO instants in the user's chosen time zone (profile), not the browser's. */
export function useFormatDate(): DateFormat {
  return formatIn(useMe().timeZone);
}
