import { closeSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { startRunFarm, type RunFarm } from "../../api/test/helpers/web-run-farm";
import { ensureBuilt, launchChromium, SCREENSHOT_DIR, signIn, webRoot } from "./helpers/browser";

// Its own build directory: other e2e files may rebuild theirs in parallel (see assets-e2e).
const dist = join(webRoot, "test-results", "automation-e2e-dist");

let app: TestApp;
let browser: Browser;
let farm: RunFarm;

beforeAll(async () => {
  ensureBuilt(dist);
  app = await startTestApp({ webDist: dist });
  await app.startWorker({ concurrency: 4 });
  farm = await startRunFarm(app, { hosts: 2, prefix: "e2e" });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await farm?.stop();
});

async function adminPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await signIn(page, app.url, app.admin.email, app.admin.password);
  return page;
}

/** A file the test creates to let a waiting remote command go on (the farm's sshd runs on this machine). */
function releaseFile() {
  const path = join(tmpdir(), `ops-e2e-release-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  return { path, release: () => closeSync(openSync(path, "w")), cleanup: () => rmSync(path, { force: true }) };
}

const runState = (page: Page) => page.getByTestId("run-state").first().getAttribute("data-state");

describe("automation dashboard", () => {
  it("creates a job in the editor, naming each problem by step and field until it is valid, and versions it", async () => {
    const page = await adminPage();
    await page.getByTestId("side-nav").getByRole("link", { name: "Jobs" }).click();
    await page.waitForURL(/\/jobs/);
    await page.getByTestId("create-job").click();
    await page.waitForURL(/\/jobs\/new/);

    await page.getByLabel("Name", { exact: true }).fill("e2e echo job");
    // The shared validator names the step and the field that is wrong.
    const problem = page.getByTestId("job-problem").filter({ hasText: "step step-1" });
    await expect.poll(() => problem.textContent()).toContain("config.command");
    await page.locator("#step-0-config-command").fill("echo hello-from-job");

    await page.getByTestId("add-param").click();
    await page.locator("#param-0-name").fill("greeting");
    await page.locator("#param-0-default").fill("hi");
    await page.getByTestId("add-step").click();
    await page.locator("#step-1-config-command").fill("echo second-step");
    await page.getByLabel("Label expression").check();
    await page.getByRole("textbox", { name: "Label expression" }).fill("farm=e2e");
    await page.getByTestId("job-valid").waitFor();
    await page.getByTestId("save-job").click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    expect(await page.getByTestId("job-name").textContent()).toBe("e2e echo job");

    // JSON view: a bad value is named; a good one saves a second version, and the diff shows it.
    await page.getByTestId("edit-job").click();
    await page.getByTestId("editor-json").click();
    const json = page.getByTestId("job-json");
    const text = await json.inputValue();
    await json.fill(text.replace('"parallelism": 20', '"parallelism": 0'));
    await expect.poll(() => page.getByTestId("job-problems").textContent()).toContain("parallelism");
    await json.fill(text.replace('"parallelism": 20', '"parallelism": 5'));
    await page.getByTestId("job-valid").waitFor();
    await page.getByLabel("Comment for this version").fill("fewer at once");
    await page.getByTestId("save-job").click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByTestId("version-row").count()).toBe(2);
    await expect.poll(() => page.getByTestId("version-diff").textContent()).toContain("parallelism");
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-job-detail.png"), fullPage: true });
    await page.context().close();
  });

  it("runs an ad-hoc command on the selected targets and shows its output live, per host and step", async () => {
    const gate = releaseFile();
    try {
      const page = await adminPage();
      await page.goto(`${app.url}/targets?search=e2e-`);
      await expect.poll(() => page.getByTestId("target-row").count()).toBe(2);
      await page.getByLabel("Select all on this page").check();
      await page.getByTestId("bulk-run-command").click();
      await page
        .getByRole("textbox", { name: "Command" })
        .fill(`echo started-$(id -un); while [ ! -e ${gate.path} ]; do sleep 0.2; done; echo finished`);
      await page.getByTestId("run-command-submit").click();
      await page.waitForURL(/\/runs\/[0-9a-f-]{36}/);

      // Live: the first line is on screen while the command still waits on the hosts.
      const log = page.getByTestId("log-box");
      await expect.poll(() => log.getByTestId("log-line").filter({ hasText: "started-" }).count(), { timeout: 60_000 }).toBe(2);
      expect(await runState(page)).toBe("running");
      expect(await log.textContent()).not.toContain("finished");
      gate.release();
      await expect.poll(() => runState(page), { timeout: 60_000 }).toBe("succeeded");
      await expect.poll(() => log.getByTestId("log-line").filter({ hasText: "finished" }).count()).toBe(2);
      expect(await page.getByTestId("run-progress-text").textContent()).toContain("2 / 2 done");
      await expect
        .poll(() => page.getByTestId("grid-cell").evaluateAll((cells) => cells.map((c) => c.getAttribute("data-state"))))
        .toEqual(["succeeded", "succeeded"]);

      // A grid cell opens that host's output for that step.
      await page.getByTestId("grid-cell").nth(1).click();
      await expect.poll(() => log.getByTestId("log-line").count()).toBe(2);
      expect(await log.textContent()).toContain("e2e-2");
      expect(await log.textContent()).not.toContain("e2e-1");
      await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-run-page.png"), fullPage: true });
      await page.context().close();
    } finally {
      gate.cleanup();
    }
  });
});
