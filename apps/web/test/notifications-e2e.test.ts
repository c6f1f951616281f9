import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../api/test/helpers/harness";
import { createRunFarm, type RunFarm } from "../../api/test/helpers/run-farm";
import { SCREENSHOT_DIR, signIn, startDashboard } from "./helpers/browser";

let app: TestApp;
let browser: Browser;
let dashboard: Awaited<ReturnType<typeof startDashboard>>;
let farm: RunFarm;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

type Received = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

/** A real webhook receiver on loopback that answers 200 and keeps what it got. */
async function startReceiver() {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "text/plain" }).end("thanks");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  // Its own build directory: other dashboard test files may rebuild theirs in parallel.
  dashboard = await startDashboard("notifications-e2e-dist");
  ({ app, browser } = dashboard);
  await app.startWorker({ concurrency: 4 });
  farm = await createRunFarm(app, { hosts: 1, sshds: 1 });
  receiver = await startReceiver();
}, 180_000);

afterAll(async () => {
  await dashboard?.close();
  await farm?.stop();
  await receiver?.close();
});

async function adminPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await signIn(page, app.url, app.admin.email, app.admin.password);
  return page;
}

describe("notifications dashboard", () => {
  it("a failing run rings the bell live and is delivered to a webhook channel made in the settings", async () => {
    // Webhooks refuse loopback unless an admin allows it (Settings > Outbound networks).
    const admin = await app.adminCaller();
    await admin.communication.outboundNetworks.set({ networks: [{ cidr: "127.0.0.0/8", note: "test receiver" }] });

    const page = await adminPage();
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));

    // A webhook channel to the receiver, and its test send.
    await page.getByTestId("side-nav").getByRole("link", { name: "Settings" }).click();
    await page.getByTestId("settings-tabs").getByRole("link", { name: "Notifications" }).click();
    await page.waitForURL(/\/settings\/notifications\/channels/);
    await page.getByTestId("create-channel").click();
    await page.getByTestId("channel-kind-webhook").click();
    // The shared contract's messages appear beside their fields before anything is sent.
    await page.locator("#channel-url").fill("ftp://example.com");
    await page.getByTestId("channel-submit").click();
    await expect.poll(() => page.getByTestId("error-name").textContent()).toBe("Enter a name");
    expect(await page.getByTestId("error-config.url").textContent()).toContain("http:// or https://");
    await page.locator("#channel-name").fill("e2e hook");
    await page.locator("#channel-url").fill(receiver.url);
    await page.getByTestId("channel-submit").click();
    const channelRow = page.getByTestId("channel-row").filter({ hasText: "e2e hook" });
    await channelRow.waitFor();
    await channelRow.getByRole("button", { name: "Test" }).click();
    await page.getByTestId("send-test").click();
    await expect.poll(() => page.getByTestId("test-result").getAttribute("data-ok"), { timeout: 30_000 }).toBe("true");
    expect(await page.getByTestId("test-result").textContent()).toContain("HTTP 200");
    expect(receiver.received).toHaveLength(1);
    await page.getByRole("button", { name: "Close" }).click();

    // A rule: failed runs go to the channel and to the bell.
    await page.getByTestId("notification-tabs").getByRole("link", { name: "Rules" }).click();
    await page.waitForURL(/\/settings\/notifications\/rules/);
    await page.getByTestId("create-rule").click();
    await page.getByTestId("rule-submit").click();
    await expect.poll(() => page.getByTestId("error-eventTypes").textContent()).toBe("Choose at least one event type");
    await page.locator("#rule-name").fill("failed runs");
    await page.locator('[id="rule-event-automation.run.failed"]').check();
    await page.locator("#rule-channel").selectOption({ label: "e2e hook (webhook)" });
    await page.locator("#rule-in-app").check();
    await page.getByTestId("rule-submit").click();
    await page.getByTestId("rule-row").filter({ hasText: "failed runs" }).waitFor();

    // A failing command from the targets page; the bell lights up on the run page without a reload.
    expect(await page.getByTestId("bell-count").count()).toBe(0);
    await page.goto(`${app.url}/targets?search=${farm.hosts[0]!.name}`);
    await expect.poll(() => page.getByTestId("target-row").count()).toBe(1);
    await page.getByLabel("Select all on this page").check();
    await page.getByTestId("bulk-run-command").click();
    await page.getByRole("textbox", { name: "Command" }).fill("echo about-to-fail; exit 3");
    await page.getByTestId("run-command-submit").click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}/);
    const runPath = new URL(page.url()).pathname;
    await expect.poll(() => page.getByTestId("run-state").first().getAttribute("data-state"), { timeout: 90_000 }).toBe("failed");
    await expect.poll(() => page.getByTestId("bell-count").textContent(), { timeout: 90_000 }).toBe("1");
    expect(requests.some((u) => u.includes("communication.notifications.onNotification"))).toBe(true);

    // The notification names the run and opens it; opening marks it read.
    await page.getByTestId("bell").click();
    const item = page.getByTestId("bell-item").first();
    expect(await item.getByTestId("notification-title").textContent()).toBe("Run failed");
    expect(await item.getByTestId("notification").getAttribute("data-severity")).toBe("error");
    expect(await item.getByTestId("notification").getAttribute("data-read")).toBe("false");
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-notification-bell.png") });
    await page.goto(`${app.url}/targets`);
    await page.getByTestId("bell").click();
    await page.getByTestId("bell-item").first().click();
    await page.waitForURL((u) => u.pathname === runPath);
    await expect.poll(() => page.getByTestId("bell-count").count()).toBe(0);

    // The delivery is recorded as delivered, with its attempt, and the receiver has the event.
    await page.goto(`${app.url}/settings/notifications/deliveries`);
    const row = page.getByTestId("delivery-row").filter({ has: page.getByRole("link", { name: "Run failed" }) });
    await expect.poll(() => row.getByTestId("delivery-status").getAttribute("data-status"), { timeout: 90_000 }).toBe("delivered");
    expect(await row.count()).toBe(1);
    await row.getByRole("link", { name: "Run failed" }).click();
    await page.waitForURL(/\/settings\/notifications\/deliveries\/\d+$/);
    const attempt = page.getByTestId("attempt-row").first();
    expect(await attempt.getAttribute("data-ok")).toBe("true");
    expect(await attempt.textContent()).toContain("HTTP 200");
    expect(await page.getByTestId("delivery-message").textContent()).toContain("automation.run.failed");
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-delivery.png"), fullPage: true });
    // The receiver got this run's event once, in the Standard Webhooks body (unsigned: the channel has no key).
    const runId = runPath.split("/").pop()!;
    const sent = receiver.received.filter((r) => r.body.includes(runId));
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body)).toMatchObject({
      type: "automation.run.failed",
      data: { severity: "error", object: { type: "run", id: runId } },
    });
    expect(sent[0]!.method).toBe("POST");

    // The runs list heard the run's events over the one live-events subscription.
    expect(requests.some((u) => u.includes("communication.events.onEvent"))).toBe(true);
    await page.context().close();
  }, 300_000);

  it("the runs list picks up a new run and its end from the live events stream", async () => {
    const page = await adminPage();
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`${app.url}/runs`);
    await page.getByTestId("runs-table").or(page.getByText("No runs match")).first().waitFor();
    const before = await page.getByTestId("run-row").count();
    const admin = await app.adminCaller();
    const { runId } = await admin.automation.runs.exec({ targetIds: [farm.hosts[0]!.id], command: "exit 4" });
    const row = page.getByTestId("run-row").filter({ has: page.locator(`a[href="/runs/${runId}"]`) });
    await expect.poll(() => row.getByTestId("run-state").getAttribute("data-state"), { timeout: 90_000 }).toBe("failed");
    expect(await page.getByTestId("run-row").count()).toBe(before + 1);
    expect(requests.some((u) => u.includes("communication.events.onEvent"))).toBe(true);
    await page.context().close();
  }, 180_000);

  it("a user manages their own subscriptions on the profile, with the contract's messages at the fields", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, app.url, viewer.email, viewer.password);
    await page.goto(`${app.url}/profile`);
    await page.getByRole("link", { name: "Notifications" }).click();
    await page.waitForURL(/\/profile\/notifications$/);
    await page.getByTestId("create-subscription").click();
    // Run failed and timed out are ticked to start with; none at all is refused at the field.
    await page.getByRole("checkbox", { name: "Automation", exact: true }).check();
    await page.getByRole("checkbox", { name: "Automation", exact: true }).uncheck();
    await page.getByTestId("subscription-submit").click();
    await expect.poll(() => page.getByTestId("error-name").textContent()).toBe("Enter a name");
    expect(await page.getByTestId("error-eventTypes").textContent()).toBe("Choose at least one event type");
    await page.locator("#subscription-name").fill("my failures");
    await page.locator('[id="subscription-event-automation.run.failed"]').check();
    await page.getByTestId("subscription-submit").click();
    const row = page.getByTestId("subscription-row").filter({ hasText: "my failures" });
    await row.waitFor();
    expect(await row.textContent()).toContain("my runs only");

    await row.getByRole("button", { name: "Edit" }).click();
    await page.locator("#subscription-min-severity").selectOption("critical");
    await page.getByTestId("subscription-submit").click();
    await expect.poll(() => row.textContent()).toContain("critical or worse");
    const mine = await (await app.caller(await app.principalFor(viewer.id))).communication.subscriptions.list();
    expect(mine).toMatchObject([{ name: "my failures", eventTypes: ["automation.run.failed"], mine: true, minSeverity: "critical" }]);

    await row.getByRole("button", { name: "Delete" }).click();
    await page.getByTestId("confirm-ok").click();
    await page.getByText("You have no subscriptions.").waitFor();
    await context.close();
  }, 120_000);

  it("the template editor previews as you type and shows a problem at its line", async () => {
    const page = await adminPage();
    await page.goto(`${app.url}/settings/notifications/templates/new`);
    // Starts from the default of run failed, rendered against its sample.
    await expect.poll(() => page.getByTestId("preview-subject").textContent()).toContain('Run "Patch web servers"');

    const text = page.getByTestId("template-text");
    await text.fill("Hello\nthere\n{{ event.title | shout }}");
    await expect.poll(() => page.getByTestId("problem-template-text").textContent()).toContain("Line 3");
    expect(await page.getByTestId("problem-template-text").textContent()).toContain("shout");
    expect(await page.getByTestId("problem-line").getAttribute("data-line")).toBe("3");
    expect(await page.getByTestId("template-preview").getAttribute("data-ok")).toBe("false");

    await text.fill("Hello\nthere\n{{ event.payload.counts.hostsFailed }} of {{ event.payload.counts.hosts }} failed");
    await expect.poll(() => page.getByTestId("preview-text").textContent()).toContain("3 of 40 failed");
    expect(await page.getByTestId("problem-line").count()).toBe(0);
    await text.pressSequentially(" badly");
    await expect.poll(() => page.getByTestId("preview-text").textContent()).toContain("3 of 40 failed badly");

    // Webhook bodies must render to JSON; the default is a Standard Webhooks body.
    await page.locator("#template-kind").selectOption("webhook");
    await expect.poll(() => page.getByTestId("preview-json").textContent()).toContain('"type": "automation.run.failed"');
    await page.getByTestId("template-json").fill('{ "title": {{ event.title }} }');
    await expect.poll(() => page.getByTestId("problem-template-json").textContent()).toContain("does not render to JSON");
    await page.getByTestId("template-json").fill('{ "title": {{ event.title | json }} }');
    await expect.poll(() => page.getByTestId("preview-json").textContent()).toContain('"title": "Run failed"');

    // The variables reference documents the payload of the chosen type.
    await page.locator("#template-event-type").selectOption("assets.host_key_changed");
    await expect.poll(() => page.getByTestId("variables-reference").textContent()).toContain("event.payload.seenFingerprint");
    await page.locator("#template-name").fill("e2e json");
    await page.getByTestId("save-template").click();
    await page.waitForURL(/\/settings\/notifications\/templates$/);
    await page.getByTestId("template-row").filter({ hasText: "e2e json" }).waitFor();
    await page.context().close();
  }, 120_000);
});
