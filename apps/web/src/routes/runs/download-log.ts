import type { LogStore, LogView } from "./log-store";

/** The lines shown (all of them, or those the filter keeps) as a text file, "host step | line". */
export function downloadLog(store: LogStore, view: LogView, count: number, hostName: Map<number, string>) {
  const parts: string[] = [];
  for (let n = 0; n < count; n++) {
    const i = view.at(n);
    parts.push(`${hostName.get(store.ordinal(i)) ?? store.ordinal(i)} ${store.step(i)} | ${store.text(i)}\n`);
  }
  const url = URL.createObjectURL(new Blob(parts, { type: "text/plain" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = "run-output.txt";
  a.click();
  URL.revokeObjectURL(url);
}
