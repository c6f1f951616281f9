import { useMemo } from "react";
import { useMe } from "./use-me";

/** Formats ISO instants in the user's chosen time zone (profile), not the browser's. */
export function useFormatDate() {
  const me = useMe();
  return useMemo(() => {
    const zone = safeZone(me.timeZone);
    const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
    const date = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: zone });
    return {
      dateTime: (iso: string) => dateTime.format(new Date(iso)),
      date: (iso: string) => date.format(new Date(iso)),
    };
  }, [me.timeZone]);
}

function safeZone(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}
