import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../api/test/helpers/harness";
import { fillSignIn, signIn as signInAt, startDashboard } from "./helpers/browser";

let app: TestApp;
let browser: Browser;
let dashboard: Awaited<ReturnType<typeof startDashboard>>;

beforeAll(async () => {
  // Its own build directory: other dashboard test files may rebuild theirs in parallel.
  dashboard = await startDashboard("guards-e2e-dist");
  ({ app, browser } = dashboard);
}, 180_000);

afterAll(async () => {
  await dashboard?.close();
});

function signIn(page: Page, email: string, password: string) {
  return signInAt(page, app.url, email, password);
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return { context, page: await context.newPage() };
}

/** expect.poll with room for a busy machine (its default gives up after 1 s). */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000 });

const checklist = (page: Page, step: string) => page.getByTestId(`check-${step}`).getAttribute("data-done");

// Runs first, on the empty inventory this file starts with.
describe("dashboard guards", () => {
  it("the home checklist and counts follow the real data, and hide what the role cannot see", async () => {
    const admin = await app.adminCaller();
    const { context, page } = await newPage();
    await signIn(page, app.admin.email, app.admin.password);
    await page.getByTestId("getting-started").waitFor();
    expect(await checklist(page, "credential")).toBe("false");
    expect(await checklist(page, "target")).toBe("false");
    expect(await checklist(page, "test")).toBe("false");
    expect(await checklist(page, "discovery")).toBe("false");
    expect(await page.getByTestId("count-total").textContent()).toBe("0");
    // OPS_MASTER_KEY is set in tests: no generated key file to back up.
    expect(await page.getByTestId("master-key-warning").count()).toBe(0);
    // Each step links to where it is done.
    expect(await page.getByTestId("check-credential").getByRole("link").getAttribute("href")).toBe("/credentials");
    expect(await page.getByTestId("check-discovery").getByRole("link").getAttribute("href")).toBe("/discovery");

    await admin.assets.credentials.create({ name: "home-cred", kind: "ssh_password", username: "ops", secret: "not-a-real-password" });
    const target = await admin.assets.targets.create({ name: "home-1", address: "192.0.2.10", port: 22 });
    await page.reload();
    await page.getByTestId("getting-started").waitFor();
    expect(await checklist(page, "credential")).toBe("true");
    expect(await checklist(page, "target")).toBe("true");
    expect(await checklist(page, "test")).toBe("false");
    expect(await page.getByTestId("count-total").textContent()).toBe("1");
    expect(await page.getByTestId("count-unknown").textContent()).toBe("1");

    // A test requested (no worker here: it stays queued) counts as the first test.
    await admin.assets.connectionTests.start({ targetIds: [target.id] });
    await page.reload();
    await page.getByTestId("getting-started").waitFor();
    expect(await checklist(page, "test")).toBe("true");
    expect(await checklist(page, "discovery")).toBe("false");
    expect(await page.getByTestId("recent-tests").textContent()).toContain("home-1");
    await context.close();

    // A role with targets.read alone sees the counts without the credential and discovery steps.
    await admin.identity.roles.create({ name: "inventory-reader", permissions: ["targets.read"] });
    const viewer = await app.createUser({ roles: ["inventory-reader"] });
    const v = await newPage();
    await signIn(v.page, viewer.email, viewer.password);
    await v.page.getByTestId("status-counts").waitFor();
    expect(await v.page.getByTestId("count-total").textContent()).toBe("1");
    // Every step this role can see (target, test) is done; the discovery step the admin still
    // has open is not this role's, so the checklist is gone.
    expect(await v.page.getByTestId("getting-started").count()).toBe(0);
    expect(await v.page.getByTestId("recent-scans").count()).toBe(0);
    await v.context.close();
  }, 90_000);

  it("an edit over a newer change is refused with Reload, which brings the new label back and loses nothing", async () => {
    const admin = await app.adminCaller();
    const target = await admin.assets.targets.create({ name: "farm-5", address: "192.0.2.5", port: 22, labels: { tier: "gold" } });
    const { context, page } = await newPage();
    await signIn(page, app.admin.email, app.admin.password);
    await page.goto(`${app.url}/targets/${target.id}`);
    await page.getByTestId("edit-target").click();
    const dialog = page.getByRole("dialog");
    const description = dialog.getByLabel("Description");
    await description.waitFor();

    // Escape on a half-filled form asks first.
    await description.fill("rack 12");
    await page.keyboard.press("Escape");
    await page.getByTestId("discard-changes").waitFor();
    await page.getByRole("button", { name: "Keep editing" }).click();
    expect(await description.inputValue()).toBe("rack 12");

    // Meanwhile someone adds a label by a bulk action.
    await admin.assets.targets.bulk({ ids: [target.id], action: "addLabels", labels: ["owner=ops"] });

    await page.getByTestId("target-submit").click();
    const stale = page.getByTestId("stale-edit");
    await stale.waitFor();
    expect(await stale.textContent()).toMatch(/"farm-5" was changed by someone else since you opened it/);
    expect((await admin.assets.targets.get({ id: target.id })).description).toBe("");

    // Reload re-opens the form with the label added meanwhile.
    await page.getByTestId("stale-reload").click();
    await poll(() => dialog.getByTestId("label-chip").allTextContents()).toEqual(expect.arrayContaining(["owner=ops", "tier=gold"]));
    await poll(() => page.getByTestId("stale-edit").count()).toBe(0);
    await dialog.getByLabel("Description").fill("rack 12");
    await page.getByTestId("target-submit").click();
    await poll(() => page.getByRole("dialog").count()).toBe(0);

    const saved = await admin.assets.targets.get({ id: target.id });
    expect(saved.description).toBe("rack 12");
    expect(saved.labels).toEqual({ tier: "gold", owner: "ops" });
    // The detail page shows the saved state, bulk label included.
    await poll(() => page.getByTestId("label-chip").allTextContents()).toEqual(expect.arrayContaining(["owner=ops", "tier=gold"]));
    await context.close();
  }, 90_000);

  it("a session ended mid-use goes to sign-in and comes back to the same page; redirects stay on this origin", async () => {
    const admin = await app.adminCaller();
    const user = await app.createUser({ roles: ["viewer"] });
    const { context, page } = await newPage();
    await signIn(page, user.email, user.password);
    await page.goto(`${app.url}/targets`);
    await page.getByTestId("targets-table").waitFor();

    // An administrator disables the account: its sessions end.
    await admin.identity.users.disable({ id: user.id });
    // The next request of the page (a filter click) answers 401.
    await page.getByRole("button", { name: "Reachable", exact: true }).click();
    await page.waitForURL(/\/login\?redirect=/);
    const back = new URL(new URL(page.url()).searchParams.get("redirect")!, app.url);
    expect(back.pathname).toBe("/targets");
    expect(back.searchParams.get("status")).toBe('["reachable"]');
    await page.getByTestId("signed-out-notice").waitFor();

    await admin.identity.users.enable({ id: user.id });
    await fillSignIn(page, user.email, user.password);
    await page.waitForURL((url) => url.pathname === "/targets" && url.search.includes("status="));
    await page.getByTestId("user-menu").waitFor();
    expect(await page.getByRole("button", { name: "Reachable", exact: true }).getAttribute("aria-pressed")).toBe("true");
    await context.close();

    // A redirect to another origin is dropped: signing in lands on the home page here.
    for (const evil of ["//evil.example/phish", "https://evil.example/", "/\\evil.example"]) {
      const c = await newPage();
      await c.page.goto(`${app.url}/login?redirect=${encodeURIComponent(JSON.stringify(evil))}`);
      await fillSignIn(c.page, user.email, user.password);
      await c.page.getByTestId("user-menu").waitFor();
      const landed = new URL(c.page.url());
      expect(landed.origin, evil).toBe(new URL(app.url).origin);
      expect(landed.pathname, evil).toBe("/");
      await c.context.close();
    }
  }, 90_000);

  it("select all N matching adds a label to every matching target across pages, and to no other", async () => {
    const admin = await app.adminCaller();
    for (let i = 0; i < 30; i++) {
      await admin.assets.targets.create({
        name: `batch-${String(i).padStart(2, "0")}`,
        address: `198.51.100.${i + 1}`,
        labels: { batch: "sel" },
      });
    }
    const outsider = await admin.assets.targets.create({ name: "outsider", address: "198.51.100.200" });
    const { context, page } = await newPage();
    await signIn(page, app.admin.email, app.admin.password);
    await page.goto(`${app.url}/targets`);
    await page.getByLabel("Filter by label").fill("batch=sel");
    await page.getByLabel("Filter by label").press("Enter");
    await page.waitForURL(/labels=/);
    await poll(() => page.getByTestId("pager-range").textContent()).toBe("1–25 of 30");

    await page.getByLabel("Select all on this page").check();
    await page.getByTestId("select-all-matching").click();
    await poll(() => page.getByTestId("bulk-count").textContent()).toBe("All 30 matching");
    await page.getByRole("button", { name: "Add label" }).click();
    await page.getByLabel("Label to add (key=value)").fill("batch-owner=ops");
    await page.getByTestId("bulk-apply").click();
    await poll(() => page.getByTestId("bulk-notice").textContent()).toBe("Changed 30 of 30 target(s).");

    const labelled = await admin.assets.targets.list({ labels: ["batch-owner=ops"], pageSize: 100 });
    expect(labelled.total).toBe(30);
    expect((await admin.assets.targets.get({ id: outsider.id })).labels).toEqual({});

    // Bulk "Set credential" on the same server-side selection.
    const cred = await admin.assets.credentials.create({
      name: "bulk-cred",
      kind: "ssh_password",
      username: "ops",
      secret: "bulk-secret-1",
    });
    await page.getByTestId("bulk-set-credential").click();
    await page.getByLabel("Credential", { exact: true }).selectOption({ label: "bulk-cred (ssh password)" });
    await page.getByTestId("bulk-apply").click();
    await expect
      .poll(() =>
        admin.assets.targets
          .list({ labels: ["batch=sel"], pageSize: 100 })
          .then((r) => r.items.filter((t) => t.credential?.id === cred.id).length),
      )
      .toBe(30);
    expect((await admin.assets.targets.get({ id: outsider.id })).credential).toBeNull();
    // Page 2 shows it too: the cached list was refreshed, not served stale.
    await page.getByRole("button", { name: "Next" }).click();
    await poll(() => page.getByTestId("pager-range").textContent()).toBe("26–30 of 30");
    for (const row of await page.getByTestId("target-row").all()) expect(await row.textContent()).toContain("batch-owner=ops");
    await context.close();
  }, 120_000);

  it("first-hour fixes: example placeholders, errors that clear, toasts and duplicate warnings, keyboard rows, confirmations", async () => {
    const admin = await app.adminCaller();
    const { context, page } = await newPage();
    // Every confirmation is our dialog, never the browser's.
    const native: string[] = [];
    page.on("dialog", (d) => (native.push(d.message()), void d.dismiss()));
    await signIn(page, app.admin.email, app.admin.password);

    // Skip link: the first Tab reaches it and Enter moves focus to the page's content.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main-content");

    // Offline: a message while the browser has no connection, gone when it is back.
    await context.setOffline(true);
    await page.getByTestId("offline").waitFor();
    await context.setOffline(false);
    await page.getByTestId("offline").waitFor({ state: "detached" });

    // A slow navigation shows the progress bar until the page's data arrives.
    await page.route(/assets\.groups\.list/, async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.getByTestId("side-nav").getByRole("link", { name: "Groups" }).click();
    await page.getByTestId("nav-progress").waitFor();
    await page.locator("h1", { hasText: "Groups" }).waitFor();
    await poll(() => page.getByTestId("nav-progress").count()).toBe(0);
    await page.unroute(/assets\.groups\.list/);

    // Placeholders read as examples, not as saved values.
    await page.goto(`${app.url}/discovery`);
    expect(await page.getByLabel("Allowed networks").getAttribute("placeholder")).toMatch(/^e\.g\. /);

    // A field's error goes away as soon as the field changes; a new target gets a toast and a duplicate warning.
    await admin.assets.targets.create({ name: "dup-a", address: "203.0.113.7", port: 22 });
    await page.goto(`${app.url}/targets`);
    await page.getByTestId("create-target").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name", { exact: true }).fill("dup-b");
    await dialog.getByLabel("Address", { exact: true }).fill("203.0.113.7");
    await dialog.getByLabel("Port", { exact: true }).fill("x");
    await page.getByTestId("target-submit").click();
    await page.getByTestId("error-port").waitFor();
    await dialog.getByLabel("Port", { exact: true }).fill("22");
    await poll(() => page.getByTestId("error-port").count()).toBe(0);
    await page.getByTestId("target-submit").click();
    await poll(() => page.getByTestId("toast-success").textContent()).toBe('Target "dup-b" added.');
    await poll(() => page.getByTestId("toast-warning").textContent()).toContain("203.0.113.7:22");

    // Test history rows open from the keyboard.
    const dupB = (await admin.assets.targets.list({ search: "dup-b" })).items[0]!;
    await admin.assets.connectionTests.start({ targetIds: [dupB.id] });
    await page.goto(`${app.url}/targets/${dupB.id}`);
    const testRow = page.getByTestId("test-row").first();
    await testRow.focus();
    await page.keyboard.press("Enter");
    expect(await testRow.getAttribute("aria-expanded")).toBe("true");

    // Audit: objects by name, the chain position only in the detail.
    await page.goto(`${app.url}/audit`);
    const created = page.getByTestId("audit-row").filter({ hasText: "target dup-b" }).first();
    await created.waitFor();
    await created.click();
    await poll(() => page.getByTestId("audit-seq").textContent()).toMatch(/^#\d+ in the audit chain$/);
    // At 800 px wide every column fits: cells wrap instead of being cut or scrolled away.
    await page.setViewportSize({ width: 800, height: 900 });
    expect(
      await page.evaluate(() => [...document.querySelectorAll(".table-responsive")].every((b) => b.scrollWidth <= b.clientWidth)),
    ).toBe(true);
    await page.setViewportSize({ width: 1280, height: 900 });

    // Disabling a user asks in our dialog; a setup link to another origin warns about OPS_PUBLIC_URL.
    const victim = await app.createUser({ roles: ["viewer"], displayName: "Dora Disable" });
    await page.goto(`${app.url}/users`);
    const victimRow = page.getByTestId("users-table").locator("tr", { hasText: victim.email });
    await victimRow.getByRole("button", { name: "Disable" }).click();
    await dialog.getByText(`Disable ${victim.email}?`).waitFor();
    await dialog.getByTestId("confirm-ok").click();
    await poll(() => victimRow.textContent()).toContain("Disabled");
    // Setup links are built from the server's public URL: browsed by another address, the dialog warns.
    const other = await newPage();
    const otherUrl = app.url.replace("127.0.0.1", "localhost");
    await signInAt(other.page, otherUrl, app.admin.email, app.admin.password);
    await other.page.goto(`${otherUrl}/users`);
    await other.page.getByTestId("create-user").click();
    await other.page.getByRole("dialog").getByLabel("Email", { exact: true }).fill(`link-${Date.now()}@example.test`);
    await other.page.getByTestId("create-user-submit").click();
    await other.page.getByTestId("setup-link").waitFor();
    expect(await other.page.getByTestId("setup-link-origin").textContent()).toContain("OPS_PUBLIC_URL");
    await other.context.close();

    // Deleting a credential in use offers to move its targets to another one.
    const oldCred = await admin.assets.credentials.create({
      name: "old-cred",
      kind: "ssh_password",
      username: "ops",
      secret: "old-secret-1",
    });
    const newCred = await admin.assets.credentials.create({
      name: "new-cred",
      kind: "ssh_password",
      username: "ops",
      secret: "new-secret-1",
    });
    const user = await admin.assets.targets.create({ name: "uses-old", address: "203.0.113.9", credentialId: oldCred.id });
    await page.goto(`${app.url}/credentials`);
    await page.getByTestId("credentials-table").locator("tr", { hasText: "old-cred" }).getByRole("button", { name: "Delete" }).click();
    await poll(() => page.getByTestId("delete-credential-usage").textContent()).toContain("1 target use it.");
    await dialog.getByLabel("Replacement credential").selectOption({ label: "new-cred (ssh password)" });
    await dialog.getByTestId("confirm-ok").click();
    await page.getByTestId("credentials-table").locator("tr", { hasText: "old-cred" }).waitFor({ state: "detached" });
    expect((await admin.assets.targets.get({ id: user.id })).credential?.id).toBe(newCred.id);

    // Revoking an API token asks in our dialog too.
    await admin.identity.tokens.create({ name: "ci-token", permissions: ["targets.read"] });
    await page.goto(`${app.url}/tokens`);
    const tokenRow = page.locator("tr", { hasText: "ci-token" });
    await tokenRow.getByRole("button", { name: "Revoke" }).click();
    await dialog.getByTestId("confirm-ok").click();
    await poll(() => tokenRow.textContent()).toContain("Revoked");

    expect(native).toEqual([]);
    await context.close();
  }, 120_000);

  it("the same guard for groups and user roles: a save over a newer change is refused and Reload shows it", async () => {
    const admin = await app.adminCaller();
    const group = await admin.assets.groups.create({ name: "racks" });
    const { context, page } = await newPage();
    await signIn(page, app.admin.email, app.admin.password);
    const dialog = page.getByRole("dialog");

    await page.goto(`${app.url}/groups`);
    await page.getByTestId("group-row").filter({ hasText: "racks" }).getByRole("button", { name: "Edit" }).click();
    await dialog.getByLabel("Description").fill("row B");
    await admin.assets.groups.update({ id: group.id, name: "racks-renamed" });
    await page.getByTestId("group-submit").click();
    await poll(() => page.getByTestId("stale-edit").textContent()).toMatch(/"racks-renamed" was changed by someone else/);
    await page.getByTestId("stale-reload").click();
    await poll(() => dialog.getByLabel("Name", { exact: true }).inputValue()).toBe("racks-renamed");
    await dialog.getByLabel("Description").fill("row B");
    await page.getByTestId("group-submit").click();
    await poll(() => page.getByTestId("group-row").filter({ hasText: "racks-renamed" }).textContent()).toContain("row B");

    const person = await app.createUser({ roles: ["viewer"] });
    await page.goto(`${app.url}/users`);
    await page.getByTestId("users-table").locator("tr", { hasText: person.email }).getByRole("button", { name: "Roles" }).click();
    await dialog.getByLabel("operator").check();
    const roles = await admin.identity.roles.list();
    const adminRole = roles.find((r) => r.name === "admin")!;
    const viewerRole = roles.find((r) => r.name === "viewer")!;
    await admin.identity.users.setRoles({ id: person.id, roleIds: [viewerRole.id, adminRole.id] });
    await page.getByTestId("save-roles").click();
    await page.getByTestId("stale-edit").waitFor();
    await page.getByTestId("stale-reload").click();
    await poll(() => dialog.getByLabel("admin").isChecked()).toBe(true);
    expect(await dialog.getByLabel("operator").isChecked()).toBe(false);
    await context.close();
  }, 90_000);
});
