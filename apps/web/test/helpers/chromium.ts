import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export type { Browser, Page };

// The browser half of the test harness, without the API harness (which needs vitest):
// the benches in bench/ drive the dashboard with the same build, Chromium and sign-in.

/** The dashboard package: its sources, and dist/ (the default build). */
export const webRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SCREENSHOT_DIR = process.env.OPS_E2E_SCREENSHOTS ?? "/tmp";

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

/**
 * Builds the dashboard into `outDir` when it is missing or older than its sources. Test
 * files that may run in parallel use their own directory (git-ignored test-results/, no
 * dot-folder: static serving skips those), since vite empties its outDir first.
 */
export function ensureBuilt(outDir = join(webRoot, "dist")): string {
  const index = join(outDir, "index.html");
  const sources = Math.max(
    newestMtime(join(webRoot, "src")),
    newestMtime(join(webRoot, "index.html")),
    newestMtime(join(webRoot, "vite.config.ts")),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return outDir;
  const build = spawnSync("npx", ["vite", "build", "--outDir", outDir], { cwd: webRoot, encoding: "utf8", timeout: 170_000 });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
  return outDir;
}

/** Debian's Chromium, headless, without the background traffic a test does not need. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}

/** Fills the sign-in form on the login page and waits for the signed-in layout. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string) {
  await page.goto(`${baseUrl}/login`);
  await fillSignIn(page, email, password);
  await page.getByTestId("user-menu").waitFor();
}

/** Fills and submits the sign-in form already on screen. */
export async function fillSignIn(page: Page, email: string, password: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}
