/**
 * A short human label for a user agent, e.g. "Chrome 120 on Linux". Deliberately tiny:
 * it names the common browsers and systems and falls back to "Unknown browser".
 */
const BROWSERS: [name: string, pattern: RegExp][] = [
  // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
  ["Edge", /Edg(?:e|A|iOS)?\/(\d+)/],
  ["Opera", /(?:OPR|Opera)\/(\d+)/],
  ["Samsung Internet", /SamsungBrowser\/(\d+)/],
  ["Firefox", /(?:Firefox|FxiOS)\/(\d+)/],
  ["Chrome", /(?:Chrome|CriOS)\/(\d+)/],
  ["Safari", /Version\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//],
  ["opsctl", /opsctl\/(\d+)/],
  ["curl", /curl\/(\d+)/],
  ["Node.js", /node(?:-fetch)?\/(\d+)/i],
];

const SYSTEMS: [name: string, pattern: RegExp][] = [
  ["Android", /Android/],
  ["iOS", /iPhone|iPad|iPod/],
  ["ChromeOS", /CrOS/],
  ["Windows", /Windows/],
  ["macOS", /Mac OS X|Macintosh/],
  ["Linux", /Linux|X11/],
];

export function browserLabel(userAgent: string | null | undefined): string {
  if (!userAgent) return "Unknown browser";
  const browser = BROWSERS.find(([, re]) => re.test(userAgent));
  const system = SYSTEMS.find(([, re]) => re.test(userAgent))?.[0];
  const version = browser ? userAgent.match(browser[1])?.[1] : undefined;
  const name = browser ? `${browser[0]}${version ? ` ${version}` : ""}` : "Unknown browser";
  return system ? `${name} on ${system}` : name;
}
