import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../api/test/helpers/harness";
import { type WorkerHandle } from "../../worker/src/run-worker";
import { ensureTestUser, startSshd, type TestSshd, type TestUsers } from "../../../tooling/test/sshd";
import { ensureBuilt, launchChromium, SCREENSHOT_DIR, signIn as signInAt, webRoot } from "./helpers/browser";

// Its own build directory (git-ignored test-results/, no dot-folder: static serving skips those):
// test/e2e.test.ts may be rebuilding dist/ in parallel, and vite empties its outDir first.
const dist = join(webRoot, "test-results", "assets-e2e-dist");

/** An ed25519 key encrypted with `passphrase`, to see the server refuse a wrong one. */
function encryptedKey(passphrase: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ops-e2e-key-"));
  try {
    const gen = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-f", join(dir, "k")], { encoding: "utf8" });
    if (gen.status !== 0) throw new Error(`ssh-keygen failed: ${gen.stderr}`);
    return readFileSync(join(dir, "k"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let app: TestApp;
let browser: Browser;
let worker: WorkerHandle;
let sshd: TestSshd;
/** A second server nobody has added yet, for discovery to find as new. */
let unknownSshd: TestSshd;
let sshUsers: TestUsers;

beforeAll(async () => {
  ensureBuilt(dist);
  sshUsers = await ensureTestUser();
  sshd = await startSshd();
  unknownSshd = await startSshd();
  app = await startTestApp({ webDist: dist });
  // The worker runs in-process on the same database, as a deployed one would beside the API.
  worker = await app.startWorker({ concurrency: 4 });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await app?.close();
  await sshd?.stop();
  await unknownSshd?.stop();
});

function signIn(page: Page, email: string, password: string) {
  return signInAt(page, app.url, email, password);
}

describe("assets dashboard", () => {
  it("admin adds a credential and a target, tests it, discovers the host and imports it", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, app.admin.email, app.admin.password);
    const nav = page.getByTestId("side-nav");

    // Credential: the test user's private key. A wrong passphrase on an unencrypted key is refused beside the field.
    await nav.getByRole("link", { name: "Credentials" }).click();
    await page.waitForURL(/\/credentials/);
    await page.getByTestId("create-credential").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name", { exact: true }).fill("test-user key");
    await dialog.getByLabel("User name").fill(sshUsers.user);
    // Client-side check from the shared schema: no secret, no credential.
    await page.getByTestId("credential-submit").click();
    await page.getByTestId("error-secret").waitFor();
    await dialog.getByLabel("Private key").fill(sshUsers.privateKey);
    await page.getByTestId("credential-submit").click();
    const credRow = page.getByTestId("credentials-table").locator("tr", { hasText: "test-user key" });
    await credRow.waitFor();
    expect(await credRow.getByTestId("credential-fingerprint").textContent()).toMatch(/SHA256:/);

    // Editing: the secret is never shown back; leaving it empty keeps the stored key.
    await credRow.getByRole("button", { name: "Edit" }).click();
    expect(await dialog.getByLabel("Private key").inputValue()).toBe("");
    await dialog.getByLabel("Description").fill("signs in as the sshd test user");
    await page.getByTestId("credential-submit").click();
    await expect.poll(() => credRow.textContent()).toContain("signs in as the sshd test user");
    expect(await credRow.getByTestId("credential-fingerprint").textContent()).toMatch(/SHA256:/);

    // The server's message about a wrong passphrase appears beside the passphrase field.
    await page.getByTestId("create-credential").click();
    await dialog.getByLabel("Name", { exact: true }).fill("encrypted key");
    await dialog.getByLabel("User name").fill(sshUsers.user);
    await dialog.getByLabel("Private key").fill(encryptedKey("the-right-one"));
    await dialog.getByLabel("Passphrase (if the key is encrypted)").fill("the-wrong-one");
    await page.getByTestId("credential-submit").click();
    await expect.poll(() => page.getByTestId("error-passphrase").textContent()).toBe("Wrong passphrase");
    await dialog.getByRole("button", { name: "Cancel" }).click();

    // Target pointing at the real sshd.
    await nav.getByRole("link", { name: "Targets" }).click();
    await page.waitForURL(/\/targets/);
    await page.getByTestId("create-target").click();
    await dialog.getByLabel("Name", { exact: true }).fill("sshd-e2e");
    await dialog.getByLabel("Address", { exact: true }).fill("127.0.0.1");
    await dialog.getByLabel("Port", { exact: true }).fill("not-a-port");
    await page.getByTestId("target-submit").click();
    await page.getByTestId("error-port").waitFor();
    await dialog.getByLabel("Port", { exact: true }).fill(String(sshd.port));
    await dialog.getByLabel("Credential", { exact: true }).selectOption({ label: "test-user key (ssh key)" });
    await dialog.getByLabel("Labels").fill("env=e2e");
    await dialog.getByLabel("Labels").press("Enter");
    await page.getByTestId("target-submit").click();
    const row = page.getByTestId("targets-table").locator("tr", { hasText: "sshd-e2e" });
    await row.waitFor();
    expect(await row.textContent()).toContain(`127.0.0.1:${sshd.port}`);
    expect(await row.textContent()).toContain("env=e2e");
    expect(await row.getByTestId("target-status").textContent()).toBe("Unknown");

    // Detail page: test the connection, watch it finish, see the facts and the pinned key.
    await row.getByRole("link", { name: "sshd-e2e" }).click();
    await page.waitForURL(/\/targets\/[0-9a-f-]{36}$/);
    await page.getByTestId("test-connection").click();
    await page.getByTestId("test-progress").waitFor();
    await expect
      .poll(() => page.getByTestId("test-progress-text").textContent(), { timeout: 45_000 })
      .toMatch(/1 \/ 1 done · 1 passed · 0 failed/);
    await expect.poll(() => page.getByTestId("target-status").textContent(), { timeout: 10_000 }).toBe("Reachable");
    await expect.poll(() => page.getByTestId("fact-hostname").textContent(), { timeout: 10_000 }).toMatch(/\S/);
    expect(await page.getByTestId("pinned-fingerprint").textContent()).toBe(sshd.hostKeyFingerprint);
    // The history opens to each step with its outcome.
    await page.getByTestId("test-row").first().click();
    const steps = page.getByTestId("test-steps");
    await steps.waitFor();
    expect(await steps.textContent()).toContain("handshake");
    expect(await steps.textContent()).toContain("auth");
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-target-detail.png"), fullPage: true });

    // The server is rebuilt: the next test is refused, the page shows both keys, and an admin accepts the new one.
    const oldFingerprint = sshd.hostKeyFingerprint;
    const newFingerprint = await sshd.swapHostKey();
    await page.getByTestId("test-connection").click();
    await expect
      .poll(() => page.getByTestId("test-progress-text").textContent(), { timeout: 45_000 })
      .toMatch(/1 \/ 1 done · 0 passed · 1 failed/);
    await expect.poll(() => page.getByTestId("target-status").textContent(), { timeout: 10_000 }).toBe("Host key changed");
    const alert = page.getByTestId("host-key-changed");
    await alert.waitFor();
    expect(await alert.getByTestId("old-fingerprint").textContent()).toContain(oldFingerprint);
    expect(await alert.getByTestId("new-fingerprint").textContent()).toContain(newFingerprint);
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-host-key-changed.png"), fullPage: true });
    // Accepting asks first, with both fingerprints side by side.
    await page.getByTestId("accept-host-key").click();
    expect(await dialog.getByTestId("accept-old-fingerprint").textContent()).toContain(oldFingerprint);
    expect(await dialog.getByTestId("accept-new-fingerprint").textContent()).toContain(newFingerprint);
    await dialog.getByTestId("confirm-ok").click();
    await expect.poll(() => page.getByTestId("pinned-fingerprint").textContent()).toBe(newFingerprint);
    expect(await page.getByTestId("host-key-changed").count()).toBe(0);
    await page.getByTestId("test-connection").click();
    await expect
      .poll(() => page.getByTestId("test-progress-text").textContent(), { timeout: 45_000 })
      .toMatch(/1 \/ 1 done · 1 passed · 0 failed/);
    await expect.poll(() => page.getByTestId("target-status").textContent(), { timeout: 10_000 }).toBe("Reachable");

    // Discovery: allow loopback on the page, scan the sshd port, see the fingerprint.
    await nav.getByRole("link", { name: "Discovery" }).click();
    await page.waitForURL(/\/discovery/);
    await page.getByLabel("Allowed networks").fill("127.0.0.0/8 loopback for the e2e test");
    await page.getByTestId("save-networks").click();
    await page.getByTestId("networks-saved").waitFor();
    // Each bad line is named; a scan past a /20 asks before it starts.
    await page.getByLabel("Addresses to scan, one per line").fill("127.0.0.1\n10.0.0.1");
    await page.getByTestId("start-scan").click();
    await expect.poll(() => page.getByTestId("error-specs").textContent()).toMatch(/^Line 2: 10\.0\.0\.1: .*outside/);
    await page.getByLabel("Addresses to scan, one per line").fill("127.0.0.0/16");
    await page.getByTestId("start-scan").click();
    await expect.poll(() => dialog.textContent()).toContain("confirm the large scan");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await page.getByTestId("scan-row").count()).toBe(0);
    await page.getByLabel("Addresses to scan, one per line").fill("127.0.0.1");
    await page.getByLabel("Ports").fill(`${sshd.port}, ${unknownSshd.port}`);
    await page.getByTestId("start-scan").click();
    await page.waitForURL(/\/discovery\/[0-9a-f-]{36}/);
    await expect.poll(() => page.getByTestId("scan-status").textContent(), { timeout: 45_000 }).toBe("done");
    const known = page.getByTestId("result-row").filter({ hasText: `127.0.0.1:${sshd.port}` });
    const fresh = page.getByTestId("result-row").filter({ hasText: `127.0.0.1:${unknownSshd.port}` });
    await fresh.waitFor();
    // The target added above is recognised by address, port and pinned key; the other server is new.
    expect(await known.getByTestId("result-fingerprint").textContent()).toBe(newFingerprint);
    expect(await known.locator(".badge").textContent()).toBe("known");
    expect(await fresh.getByTestId("result-fingerprint").textContent()).toBe(unknownSshd.hostKeyFingerprint);
    expect(await fresh.locator(".badge").textContent()).toBe("new");
    expect(await known.getByRole("checkbox").isDisabled()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-discovery-scan.png"), fullPage: true });

    // Import the new one with the credential and a label.
    await fresh.getByRole("checkbox").check();
    await page.getByTestId("import-selected").click();
    await dialog.getByLabel("Credential", { exact: true }).selectOption({ label: "test-user key (ssh key)" });
    await page.getByTestId("import-results-submit").click();
    await expect.poll(() => page.getByTestId("import-notice").textContent()).toMatch(/Imported 1 target/);
    await expect.poll(() => fresh.textContent()).toContain("imported");

    // And it is a target now, with its label from the import.
    await nav.getByRole("link", { name: "Targets" }).click();
    await page.waitForURL(/\/targets/);
    const imported = page.getByTestId("targets-table").locator("tr", { hasText: `127.0.0.1:${unknownSshd.port}` });
    await imported.waitFor();
    expect(await imported.textContent()).toContain("source=discovery");
    expect(await page.getByTestId("target-row").count()).toBe(2);

    // Both selected, tested together from the bulk bar: the progress bar counts them.
    await page.getByLabel("Select all on this page").check();
    await page.getByTestId("bulk-bar").waitFor();
    await page.getByTestId("bulk-test").click();
    await expect
      .poll(() => page.getByTestId("test-progress-text").textContent(), { timeout: 45_000 })
      .toMatch(/2 \/ 2 done · 2 passed · 0 failed/);
    await expect.poll(() => page.getByTestId("target-status").allTextContents(), { timeout: 10_000 }).toEqual(["Reachable", "Reachable"]);
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-targets-bulk-test.png"), fullPage: true });

    await context.close();
  }, 180_000);

  it("groups nest, a CSV import lists its bad rows by line, filters and export follow the URL, and a phone can use it", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    await signIn(page, app.admin.email, app.admin.password);
    const dialog = page.getByRole("dialog");

    // A group and a child group.
    await page.goto(`${app.url}/groups`);
    await page.getByTestId("create-group").click();
    await dialog.getByLabel("Name", { exact: true }).fill("prod");
    await page.getByTestId("group-submit").click();
    const prod = page.getByTestId("group-row").filter({ hasText: "prod" });
    await prod.waitFor();
    await prod.getByRole("button", { name: "Add child" }).click();
    await dialog.getByLabel("Name", { exact: true }).fill("web");
    await page.getByTestId("group-submit").click();
    await page.getByTestId("group-row").filter({ hasText: "web" }).waitFor();

    // Import: two bad rows are listed with their line numbers; nothing can be imported until they are fixed.
    await page.goto(`${app.url}/targets`);
    await page.getByTestId("import-targets").click();
    const header = "name,address,port,labels,groups";
    await dialog
      .getByLabel("Or paste CSV")
      .fill([header, "csv-a,10.9.0.1,22,env=prod,web", "csv-b,not a host!,22,,", "csv-c,10.9.0.3,99999,,"].join("\n"));
    await page.getByTestId("import-preview").click();
    await page.getByTestId("import-bad-count").waitFor();
    const bad = page.getByTestId("import-bad-row");
    expect(await bad.count()).toBe(2);
    expect(await bad.nth(0).locator("td").first().textContent()).toBe("3");
    expect(await bad.nth(1).locator("td").first().textContent()).toBe("4");
    expect(await bad.nth(1).textContent()).toMatch(/port/i);
    expect(await page.getByTestId("import-commit").isDisabled()).toBe(true);
    await dialog.getByLabel("Or paste CSV").fill([header, "csv-a,10.9.0.1,22,env=prod,web", "csv-b,10.9.0.2,2222,env=dev,"].join("\n"));
    await page.getByTestId("import-preview").click();
    await expect.poll(() => page.getByTestId("import-commit").textContent()).toBe("Import 2 targets");
    expect(await page.getByTestId("import-commit").isDisabled()).toBe(false);
    await page.getByTestId("import-commit").click();
    await page.getByTestId("import-done").waitFor();
    await dialog.getByRole("button", { name: "Done" }).click();
    await page.getByTestId("targets-table").locator("tr", { hasText: "csv-b" }).waitFor();

    // The group filter includes nested groups and lives in the URL; Export CSV downloads what the filter shows.
    await page.locator("#filter-group").selectOption({ label: "prod" });
    await page.waitForURL(/groupId=/);
    await expect.poll(() => page.getByTestId("target-row").count()).toBe(1);
    expect(await page.getByTestId("target-row").textContent()).toContain("csv-a");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
    const csv = await new Promise<string>((resolve, reject) => {
      void download.createReadStream().then((stream) => {
        let text = "";
        stream.on("data", (d: Buffer) => (text += d.toString()));
        stream.on("end", () => resolve(text));
        stream.on("error", reject);
      }, reject);
    });
    expect(csv).toContain("csv-a");
    expect(csv).not.toContain("csv-b");
    // A label filter chip narrows the other way.
    await page.goto(`${app.url}/targets`);
    await page.getByLabel("Filter by label").fill("env=dev");
    await page.getByLabel("Filter by label").press("Enter");
    await page.waitForURL(/labels=/);
    await expect.poll(() => page.getByTestId("target-row").allTextContents()).toEqual([expect.stringContaining("csv-b")]);
    await page.goto(`${app.url}/groups`);
    await expect.poll(() => page.getByTestId("group-row").filter({ hasText: "prod" }).textContent()).toContain("1 target");
    await context.close();

    // A viewer reads the same table but is offered nothing to change.
    const viewer = await app.createUser({ roles: ["viewer"] });
    const viewing = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const vpage = await viewing.newPage();
    await signIn(vpage, viewer.email, viewer.password);
    await vpage.goto(`${app.url}/targets`);
    await vpage.getByTestId("targets-table").waitFor();
    expect(await vpage.getByTestId("create-target").count()).toBe(0);
    expect(await vpage.getByLabel("Select all on this page").count()).toBe(0);
    await vpage.getByRole("link", { name: "csv-a" }).click();
    await vpage.getByTestId("facts-card").waitFor();
    expect(await vpage.getByTestId("test-connection").count()).toBe(0);
    await viewing.close();

    // Phone width: the targets table and the discovery page fit without sideways scrolling.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const small = await phone.newPage();
    await signIn(small, app.admin.email, app.admin.password);
    for (const path of ["/targets", "/discovery", "/credentials", "/groups"]) {
      await small.goto(`${app.url}${path}`);
      await small.locator("h1").waitFor();
      await small.waitForLoadState("networkidle");
      expect(await small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), path).toBe(true);
    }
    await small.goto(`${app.url}/targets`);
    await small.getByTestId("targets-table").waitFor();
    await small.screenshot({ path: join(SCREENSHOT_DIR, "ops-phone-targets.png"), fullPage: true });
    await phone.close();
  }, 120_000);

  it("a bulk test's identical failures show as one line that opens to the targets", async () => {
    const admin = await app.adminCaller();
    // Nothing listens on port 1: every test fails the same way.
    for (const name of ["closed-a", "closed-b", "closed-c"]) {
      await admin.assets.targets.create({ name, address: "127.0.0.1", port: 1, labels: { probe: "closed" } });
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, app.admin.email, app.admin.password);
    await page.goto(`${app.url}/targets`);
    await page.getByLabel("Filter by label").fill("probe=closed");
    await page.getByLabel("Filter by label").press("Enter");
    await expect.poll(() => page.getByTestId("target-row").count(), { timeout: 10_000 }).toBe(3);
    await page.getByLabel("Select all on this page").check();
    await page.getByTestId("bulk-test").click();
    await expect
      .poll(() => page.getByTestId("test-progress-text").textContent(), { timeout: 45_000 })
      .toMatch(/3 \/ 3 done · 0 passed · 3 failed/);
    const groups = page.getByTestId("test-failure-group");
    await expect.poll(() => groups.count(), { timeout: 10_000 }).toBe(1);
    expect(await groups.locator("summary").textContent()).toMatch(/^3 targets: \S/);
    await groups.locator("summary").click();
    expect(await groups.locator("li").allTextContents()).toEqual(["closed-a", "closed-b", "closed-c"]);
    await context.close();
  }, 90_000);
});
