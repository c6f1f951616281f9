import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { ensureBuilt, launchChromium, SCREENSHOT_DIR, signIn as signInAt } from "./helpers/browser";

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  const dist = ensureBuilt();
  app = await startTestApp({ webDist: dist });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

function signIn(page: Page, email: string, password: string) {
  return signInAt(page, app.url, email, password);
}

async function signOut(page: Page) {
  await page.getByTestId("user-menu").click();
  await page.getByTestId("sign-out").click();
  await page.waitForURL(/\/login/);
}

describe("dashboard", () => {
  it("admin creates a viewer who then sees only what viewers may", async () => {
    const admin = await app.createUser({ roles: ["admin"] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();

    // Signed out: the guard sends us to /login and back afterwards.
    await page.goto(`${app.url}/users`);
    await page.waitForURL(/\/login\?redirect=/);

    // A wrong password shows the server's message, not a blank form.
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill("not-the-password-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator(".alert-danger").count()).toBeGreaterThan(0);

    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/users/);
    const nav = page.getByTestId("side-nav");
    await expect.poll(() => nav.getByRole("link", { name: "Users" }).isVisible()).toBe(true);
    await expect.poll(() => nav.getByRole("link", { name: "Audit log" }).isVisible()).toBe(true);

    // Create a viewer through the Users page, password mode.
    const viewerEmail = `viewer-${Date.now()}@example.test`;
    const viewerPassword = "quiet-harbour-lantern-77";
    await page.getByTestId("create-user").click();
    await page.getByLabel("Email", { exact: true }).fill(viewerEmail);
    await page.getByLabel("Display name").fill("Vera Viewer");
    await page.getByLabel("viewer", { exact: false }).first().check();
    await page.getByLabel("Set an initial password").check();
    // Client-side validation from the shared schema: a short password is refused in place.
    await page.getByLabel("Initial password", { exact: true }).fill("short");
    await page.getByTestId("create-user-submit").click();
    await page.getByTestId("error-password").waitFor();
    await page.getByLabel("Initial password", { exact: true }).fill(viewerPassword);
    await page.getByTestId("create-user-submit").click();
    const row = page.getByTestId("users-table").locator("tr", { hasText: viewerEmail });
    await row.waitFor();
    expect(await row.textContent()).toContain("viewer");
    expect(await page.getByTestId("pager-range").textContent()).toMatch(/^1–\d+ of \d+$/);

    await signOut(page);

    // The viewer signs in: no Users/Roles/Audit in the nav.
    await signIn(page, viewerEmail, viewerPassword);
    await expect.poll(() => nav.getByRole("link", { name: "API tokens" }).isVisible()).toBe(true);
    expect(await nav.getByRole("link", { name: "Users" }).count()).toBe(0);
    expect(await nav.getByRole("link", { name: "Roles" }).count()).toBe(0);
    expect(await nav.getByRole("link", { name: "Audit log" }).count()).toBe(0);

    // Typing the address shows why, not a blank page.
    await page.goto(`${app.url}/users`);
    const panel = page.getByTestId("no-permission");
    await panel.waitFor();
    expect(await panel.textContent()).toContain("users.read");

    // The server refuses too, whatever the UI shows.
    const status = await page.evaluate(async () => {
      const res = await fetch("/trpc/identity.users.create", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "sneaky@example.test", mode: "setup-link" }),
      });
      return res.status;
    });
    expect(status).toBe(403);

    await context.close();
  });

  it("is usable at phone width", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await signIn(page, viewer.email, viewer.password);
    // The side nav is tucked behind the hamburger; the page does not scroll sideways.
    expect(await page.getByTestId("side-nav").isVisible()).toBe(false);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-phone-home.png") });
    await page.getByTestId("nav-toggle").click();
    await page.getByTestId("side-nav").getByRole("link", { name: "Profile" }).waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-phone-nav.png") });
    await page.getByTestId("side-nav").getByRole("link", { name: "Profile" }).click();
    await page.waitForURL(/\/profile$/);
    expect(await page.getByTestId("side-nav").count()).toBe(1); // the offcanvas closed
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-phone-profile.png"), fullPage: true });
    await context.close();
  });
});
