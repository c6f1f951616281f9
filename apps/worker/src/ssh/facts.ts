import type { OS_FAMILIES, TargetFacts } from "@ops/db";

type OsFamily = (typeof OS_FAMILIES)[number];

/**
 * One POSIX sh script, one exec: every fact as a `key=value` line. On Linux it reads
 * /proc and /sys with shell builtins only (one fork, for `uname -m`): forks are what an
 * sshd host pays for, and a batch runs this on hundreds of hosts at once. Elsewhere
 * (BSD, macOS) it falls back to uname and sysctl. Missing facts are simply absent.
 */
export const FACTS_SCRIPT = `if [ -r /proc/sys/kernel/osrelease ]; then
read -r h < /proc/sys/kernel/hostname; echo "hostname=$h"
read -r o < /proc/sys/kernel/ostype; read -r r < /proc/sys/kernel/osrelease; echo "kernel=$o $r"
if [ -r /proc/sys/kernel/arch ]; then read -r a < /proc/sys/kernel/arch; echo "arch=$a"; else echo "arch=$(uname -m)"; fi
[ -r /sys/devices/system/cpu/online ] && read -r c < /sys/devices/system/cpu/online && echo "cpus_online=$c"
while read -r k v _; do if [ "$k" = MemTotal: ]; then echo "mem_kb=$v"; break; fi; done < /proc/meminfo
read -r u _ < /proc/uptime; echo "uptime=\${u%%.*}"
else
echo "hostname=$(hostname 2>/dev/null || uname -n)"; echo "kernel=$(uname -sr)"; echo "arch=$(uname -m)"
echo "cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null)"
echo "mem_bytes=$(sysctl -n hw.memsize 2>/dev/null || sysctl -n hw.physmem 2>/dev/null)"
command -v sw_vers >/dev/null 2>&1 && echo "os=macOS $(sw_vers -productVersion)"
fi
if [ -r /etc/os-release ]; then while IFS='=' read -r k v; do case "$k" in PRETTY_NAME) echo "os=$v";; NAME) echo "os_name=$v";; VERSION) echo "os_version=$v";; esac; done < /etc/os-release; fi
`;

export function parseFacts(output: string): TargetFacts {
  const v: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) v[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  const int = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : undefined);
  const mul = (n: number | undefined, by: number) => (n === undefined ? undefined : n * by);
  const text = (s: string | undefined) => (s ? s.slice(0, 200) : undefined);
  const facts: TargetFacts = {
    hostname: text(v.hostname),
    osRelease: text(unquote(v.os) ?? [unquote(v.os_name), unquote(v.os_version)].filter(Boolean).join(" ")),
    kernel: text(v.kernel),
    architecture: text(v.arch),
    cpuCount: int(v.cpus) ?? countCpuList(v.cpus_online),
    // Linux reports MemTotal in kB.
    memoryBytes: int(v.mem_bytes) ?? mul(int(v.mem_kb), 1024),
    uptimeSeconds: int(v.uptime),
  };
  return Object.fromEntries(Object.entries(facts).filter(([, x]) => x !== undefined)) as TargetFacts;
}

/** os-release values may be quoted: PRETTY_NAME="Debian GNU/Linux 12 (bookworm)". */
function unquote(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const m = /^(["'])(.*)\1$/.exec(s);
  return (m ? m[2]! : s).replace(/\\(["\\$`])/g, "$1") || undefined;
}

/** /sys/devices/system/cpu/online lists CPUs as ranges: "0-3,6,8-9" is 7 CPUs. */
export function countCpuList(list: string | undefined): number | undefined {
  if (!list || !/^[\d,-]+$/.test(list)) return undefined;
  let n = 0;
  for (const part of list.split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    n += b === undefined ? 1 : b - a + 1;
  }
  return n || undefined;
}

/**
 * The OS family the facts show ("Linux 6.1.0" from a Debian host is linux), or null when
 * they do not say. Used only to fill in a target still marked "unknown".
 */
export function osFamilyOf(facts: TargetFacts): OsFamily | null {
  const kernel = facts.kernel ?? "";
  if (/^linux\b/i.test(kernel)) return "linux";
  if (/^(freebsd|openbsd|netbsd|dragonfly)\b/i.test(kernel)) return "bsd";
  if (/^darwin\b/i.test(kernel) || /^mac ?os\b/i.test(facts.osRelease ?? "")) return "macos";
  return null;
}
