import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startTestApp, type TestApp } from "../../../api/test/helpers/harness";
import { ensureBuilt, launchChromium, webRoot } from "./chromium";

export { ensureBuilt, fillSignIn, launchChromium, SCREENSHOT_DIR, signIn, webRoot } from "./chromium";

/**
 * The dashboard built into its own test-results/`name` directory, served by a test app,
 * and a Chromium to look at it: the setup of every browser test file.
 */
export async function startDashboard(name: string): Promise<{ app: TestApp; browser: Browser; close(): Promise<void> }> {
  const dist = ensureBuilt(join(webRoot, "test-results", name));
  const app = await startTestApp({ webDist: dist });
  const browser = await launchChromium().catch(async (err: unknown) => {
    await app.close();
    throw err;
  });
  return {
    app,
    browser,
    async close() {
      await browser.close();
      await app.close();
    },
  };
}
