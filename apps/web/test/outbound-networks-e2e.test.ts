import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../api/test/helpers/harness";
import { signIn, startDashboard } from "./helpers/browser";

let app: TestApp;
let browser: Browser;
let dashboard: Awaited<ReturnType<typeof startDashboard>>;

beforeAll(async () => {
  // Its own build directory: other dashboard test files may rebuild theirs in parallel.
  dashboard = await startDashboard("outbound-networks-e2e-dist");
  ({ app, browser } = dashboard);
}, 180_000);

afterAll(async () => {
  await dashboard?.close();
});

describe("Settings > Outbound networks", () => {
  it("an admin allows networks line by line, a bad line is named, and others do not see the page", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, app.url, app.admin.email, app.admin.password);
    await page.getByTestId("side-nav").getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(/\/settings\/outbound-networks/);
    const field = page.getByLabel("Allowed outbound networks");
    await field.fill("127.0.0.1 test receiver\n10.0.0.0/33");
    await page.getByTestId("save-outbound-networks").click();
    await expect.poll(() => page.getByTestId("error-networks").textContent()).toMatch(/^Line 2: 10\.0\.0\.0\/33: write a network/);
    await field.fill("127.0.0.1 test receiver\nFD00::/8");
    await page.getByTestId("save-outbound-networks").click();
    await page.getByTestId("outbound-networks-saved").waitFor();
    // Saved as the server spells them.
    expect(await field.inputValue()).toBe("127.0.0.1/32 test receiver\nfd00::/8");
    const admin = await app.adminCaller();
    expect((await admin.communication.outboundNetworks.list()).map((n) => n.cidr)).toEqual(["127.0.0.1/32", "fd00::/8"]);
    await context.close();

    const operator = await app.createUser({ roles: ["operator"] });
    const other = await browser.newContext();
    const page2 = await other.newPage();
    await signIn(page2, app.url, operator.email, operator.password);
    // An operator reads notification settings, so Settings opens there, without this section.
    await page2.getByTestId("side-nav").getByRole("link", { name: "Settings" }).click();
    await page2.waitForURL(/\/settings\/notifications\/channels/);
    expect(await page2.getByTestId("settings-tabs").getByRole("link", { name: "Outbound networks" }).count()).toBe(0);
    await page2.goto(`${app.url}/settings/outbound-networks`);
    await page2.getByTestId("no-permission").waitFor();
    await other.close();
  });
});
