import { promises as dns } from "node:dns";

/** PTR name of an address, or null; bounded by `timeoutMs` so one slow resolver never stalls a scan. */
export async function reverseDns(address: string, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    const names = await Promise.race([dns.reverse(address).catch(() => [] as string[]), timeout]);
    const name = names?.[0];
    return name ? name.replace(/\.$/, "").toLowerCase() : null;
  } finally {
    clearTimeout(timer);
  }
}
