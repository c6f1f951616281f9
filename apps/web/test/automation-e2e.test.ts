import { closeSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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

beforeAll(async () => {
  // Its own build directory: other e2e files may rebuild theirs in parallel (see assets-e2e).
  dashboard = await startDashboard("automation-e2e-dist");
  ({ app, browser } = dashboard);
  await app.startWorker({ concurrency: 4 });
  // Two hosts on two sshd servers, labelled for the job's selector.
  farm = await createRunFarm(app, { hosts: 2, sshds: 2, labels: { farm: "e2e" } });
}, 180_000);

afterAll(async () => {
  await dashboard?.close();
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

/** A job through the API: every launch-form parameter type, on the farm's hosts, waiting on `gate` after its first line. */
async function createWaitingJob(name: string, gate: string) {
  const admin = await app.adminCaller();
  const { job } = await admin.automation.jobs.create({
    name,
    params: [
      { name: "greeting", type: "string", required: true, pattern: "^[a-z]+$", help: "lower-case letters" },
      { name: "token", type: "secret", required: true },
      { name: "color", type: "choice", options: ["red", "green"], default: "red" },
      { name: "count", type: "number", min: 1, max: 5, default: 2 },
      { name: "loud", type: "boolean" },
      { name: "notes", type: "text" },
      { name: "sizes", type: "multiChoice", options: ["s", "m", "l"] },
    ],
    selector: { mode: "labels", expression: "farm=e2e" },
    workflow: {
      steps: [
        {
          id: "greet",
          name: "Greet",
          kind: "ssh.command",
          config: {
            command: `echo "{{ params.greeting }}-{{ params.color }} token={{ params.token }}"; while [ ! -e ${gate} ]; do sleep 0.2; done; echo bye`,
          },
        },
      ],
    },
  });
  return job;
}

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
    await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-job-editor.png"), fullPage: true });
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

    // Someone saves while the editor is open: the save is refused as stale, Reload brings their version.
    const jobId = new URL(page.url()).pathname.split("/").pop()!;
    await page.getByTestId("edit-job").click();
    await page.getByLabel("Description").waitFor();
    const admin = await app.adminCaller();
    const current = await admin.automation.jobs.get({ id: jobId });
    await admin.automation.jobs.update({
      id: jobId,
      expectedVersion: current.version.version,
      definition: { ...current.version.definition, description: "changed elsewhere" },
    });
    await page.getByLabel("Description").fill("mine");
    await page.getByTestId("save-job").click();
    await page.getByTestId("stale-edit").waitFor();
    await page.getByTestId("stale-reload").click();
    await expect.poll(() => page.getByLabel("Description").inputValue()).toBe("changed elsewhere");
    await page.context().close();
  });

  it("runs an ad-hoc command on the selected targets and shows its output live, per host and step", async () => {
    const gate = releaseFile();
    try {
      const page = await adminPage();
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      const prefix = farm.hosts[0]!.name.replace(/-\d+$/, "");
      await page.goto(`${app.url}/targets?search=${prefix}`);
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
      // A search while the run is live: nothing matches yet, and the lines that match as they arrive join the results.
      await page.getByLabel("Search output").fill("finished");
      await expect.poll(() => page.getByTestId("search-count").textContent()).toContain('0 lines match "finished"');
      gate.release();
      await expect.poll(() => runState(page), { timeout: 60_000 }).toBe("succeeded");
      await expect.poll(() => log.getByTestId("log-line").filter({ hasText: "finished" }).count()).toBe(2);
      await expect
        .poll(() => page.getByTestId("search-result").allTextContents())
        .toEqual([expect.stringContaining("finished"), expect.stringContaining("finished")]);
      expect(await page.getByTestId("search-count").textContent()).toContain('2 lines match "finished"');
      await page.getByLabel("Search output").fill("");
      expect(await page.getByTestId("run-progress-text").textContent()).toContain("2 / 2 done");
      await expect
        .poll(() => page.getByTestId("grid-cell").evaluateAll((cells) => cells.map((c) => c.getAttribute("data-state"))))
        .toEqual(["succeeded", "succeeded"]);

      // Output and progress came over the SSE subscriptions, not by polling.
      expect(requests.some((u) => u.includes("automation.runs.onOutput"))).toBe(true);
      expect(requests.some((u) => u.includes("automation.runs.onProgress"))).toBe(true);

      // The download links serve the whole run as text, and one host's lines.
      const download = (testId: string) =>
        page
          .getByTestId(testId)
          .evaluate((a) => fetch((a as HTMLAnchorElement).href, { credentials: "same-origin" }).then((r) => r.text()));
      expect((await download("log-download")).match(/finished/g)).toHaveLength(2);

      // A grid cell opens that host's output for that step.
      await page.getByTestId("grid-cell").nth(1).click();
      await expect.poll(() => log.getByTestId("log-line").count()).toBe(2);
      expect(await log.textContent()).toContain(farm.hosts[1]!.name);
      expect(await log.textContent()).not.toContain(farm.hosts[0]!.name);
      expect(await download("log-download-host")).toBe("started-opsconductor-test\nfinished\n");
      await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-run-page.png"), fullPage: true });
      await page.context().close();
    } finally {
      gate.cleanup();
    }
  });

  it("launches a job from its generated form after previewing the hosts, and shows the run live", async () => {
    const gate = releaseFile();
    try {
      const job = await createWaitingJob("e2e launch job", gate.path);
      const page = await adminPage();
      await page.goto(`${app.url}/jobs/${job.id}`);
      await page.getByTestId("launch-job").click();
      await page.waitForURL(/\/launch$/);
      // One control per parameter type; the secret is a password field; defaults are filled in.
      // The launch page is its own chunk: its form shows once that has loaded.
      await expect.poll(() => page.getByTestId("launch-param").count()).toBe(7);
      expect(await page.locator("#param-token").getAttribute("type")).toBe("password");
      expect(await page.locator("#param-color").inputValue()).toBe("red");
      expect(await page.locator("#param-count").inputValue()).toBe("2");

      // The shared schema refuses bad values beside their fields before anything is sent.
      await page.locator("#param-greeting").fill("Not Lower");
      await page.getByTestId("launch-submit").click();
      await expect.poll(() => page.getByTestId("error-param-greeting").textContent()).toContain("Must match");
      await page.getByTestId("error-param-token").waitFor();
      await page.locator("#param-greeting").fill("hello");
      await page.locator("#param-token").fill("s3cret-e2e-token");
      await page.locator("#param-color").selectOption("green");
      await page.getByLabel("m", { exact: true }).check();

      await page.getByTestId("preview-launch").click();
      await expect
        .poll(() => page.getByTestId("preview-host").allTextContents())
        .toEqual(farm.hosts.map((h) => expect.stringContaining(h.name)));

      await page.getByTestId("launch-submit").click();
      await page.waitForURL(/\/runs\/[0-9a-f-]{36}/);
      const log = page.getByTestId("log-box");
      await expect.poll(() => log.getByTestId("log-line").filter({ hasText: "hello-green" }).count(), { timeout: 60_000 }).toBe(2);
      expect(await runState(page)).toBe("running");
      expect(await page.getByTestId("graph-step").getAttribute("data-step")).toBe("greet");
      // The secret parameter never reaches the output.
      expect(await log.textContent()).not.toContain("s3cret-e2e-token");
      gate.release();
      await expect.poll(() => runState(page), { timeout: 60_000 }).toBe("succeeded");
      await expect.poll(() => log.getByTestId("log-line").filter({ hasText: "bye" }).count()).toBe(2);

      // The runs list and the job's page show it.
      await page.getByTestId("side-nav").getByRole("link", { name: "Runs" }).click();
      await page.getByTestId("runs-job-filter").selectOption({ label: "e2e launch job" });
      await expect.poll(() => page.getByTestId("run-row").count()).toBe(1);
      expect(await page.getByTestId("run-row").getByTestId("run-state").textContent()).toBe("succeeded");
      await page.goto(`${app.url}/jobs?search=e2e%20launch`);
      await expect.poll(() => page.getByTestId("job-success-rate").textContent()).toBe("100% ok");
      await page.context().close();
    } finally {
      gate.cleanup();
    }
  });

  it("cancels a running run, and reruns only the failed hosts of another", async () => {
    const gate = releaseFile();
    try {
      const admin = await app.adminCaller();
      const job = await createWaitingJob("e2e cancel job", gate.path);
      const { runId } = await admin.automation.runs.launch({ jobId: job.id, params: { greeting: "wait", token: "t0k3n-cancel" } });
      const page = await adminPage();
      await page.goto(`${app.url}/runs/${runId}`);
      const log = page.getByTestId("log-box");
      await expect.poll(() => log.getByTestId("log-line").filter({ hasText: "wait-red" }).count(), { timeout: 60_000 }).toBe(2);
      expect(await page.getByTestId("run-rerun").count()).toBe(0);
      await page.getByTestId("run-cancel").click();
      await page.getByTestId("confirm-ok").click();
      await expect.poll(() => runState(page), { timeout: 60_000 }).toBe("cancelled");
      await expect
        .poll(() => page.getByTestId("host-state").evaluateAll((b) => b.map((x) => x.getAttribute("data-state"))))
        .toEqual(["cancelled", "cancelled"]);
      expect(await page.getByTestId("run-cancel").count()).toBe(0);
      expect(await log.textContent()).not.toContain("bye");

      // One host fails (the second sshd's port), one succeeds: "Rerun failed hosts" starts a run on the failed one only.
      const [first, second] = farm.hosts;
      const failing = await admin.automation.runs.exec({
        targetIds: [first!.id, second!.id],
        command: `case "$SSH_CONNECTION" in *" ${second!.port}") echo failing; exit 3;; esac; echo fine`,
      });
      await page.goto(`${app.url}/runs/${failing.runId}`);
      await expect.poll(() => runState(page), { timeout: 60_000 }).toBe("failed");
      expect(await page.getByTestId("grid-host").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-host")))).toEqual([
        first!.name,
        second!.name,
      ]);
      await page.getByTestId("run-rerunFailed").click();
      await page.getByTestId("confirm-ok").click();
      await page.waitForURL((url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(failing.runId));
      await expect
        .poll(() => page.getByTestId("grid-host").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-host"))))
        .toEqual([second!.name]);
      await expect.poll(() => runState(page), { timeout: 60_000 }).toBe("failed");
      // Its own output only: the failed host's line, nothing of the first run.
      await expect
        .poll(() => log.getByTestId("log-line").allTextContents())
        .toEqual([expect.stringMatching(new RegExp(`^${second!.name}\\s*command\\s*failing$`))]);
      await page.screenshot({ path: join(SCREENSHOT_DIR, "ops-rerun-failed.png"), fullPage: true });
      await page.context().close();
    } finally {
      gate.cleanup();
    }
  });

  it("shows a viewer jobs and runs without the buttons that change them", async () => {
    const admin = await app.adminCaller();
    const { job } = await admin.automation.jobs.create({
      name: "e2e viewer job",
      workflow: { steps: [{ id: "hi", name: "Hi", kind: "ssh.command", config: { command: "echo hi" } }] },
    });
    const { runId } = await admin.automation.runs.exec({ targetIds: [farm.hosts[0]!.id], command: "echo viewer-visible" });
    const viewer = await app.createUser({ roles: ["viewer"] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, app.url, viewer.email, viewer.password);
    const nav = page.getByTestId("side-nav");
    await nav.getByRole("link", { name: "Jobs" }).click();
    await page.getByTestId("job-row").first().waitFor();
    expect(await page.getByTestId("create-job").count()).toBe(0);
    await page.goto(`${app.url}/jobs/${job.id}`);
    await page.getByTestId("job-name").waitFor();
    expect(await page.getByTestId("launch-job").count()).toBe(0);
    expect(await page.getByTestId("edit-job").count()).toBe(0);
    await page.goto(`${app.url}/jobs/${job.id}/launch`);
    expect(await page.getByTestId("no-permission").textContent()).toContain("runs.start");

    await nav.getByRole("link", { name: "Runs" }).click();
    await page.getByTestId("run-row").first().waitFor();
    await page.goto(`${app.url}/runs/${runId}`);
    await expect.poll(() => page.getByTestId("log-box").textContent(), { timeout: 60_000 }).toContain("viewer-visible");
    for (const action of ["cancel", "rerun", "rerunFailed", "resume"]) expect(await page.getByTestId(`run-${action}`).count()).toBe(0);
    await context.close();
  });

  it("opens a big run at its last lines and reads the earlier ones when scrolled to", async () => {
    const admin = await app.adminCaller();
    const { runId } = await admin.automation.runs.exec({ targetIds: [farm.hosts[0]!.id], command: "seq 1 60000" });
    await expect.poll(async () => (await admin.automation.runs.get({ runId })).state, { timeout: 90_000 }).toBe("succeeded");
    const page = await adminPage();
    await page.goto(`${app.url}/runs/${runId}`);
    const log = page.getByTestId("log-box");
    // Follow mode shows the end; every line arrives, once.
    await expect.poll(() => log.getByTestId("log-line").last().textContent(), { timeout: 30_000 }).toMatch(/command60000$/);
    await expect.poll(() => page.getByTestId("log-count").textContent(), { timeout: 60_000 }).toBe("60,000 lines");
    // Only the rows in view are in the page.
    expect(await log.getByTestId("log-line").count()).toBeLessThan(200);
    await log.evaluate((el) => (el.scrollTop = 0));
    await expect.poll(() => log.getByTestId("log-line").first().textContent()).toMatch(/command1$/);
    expect(await page.getByTestId("log-follow").getAttribute("aria-pressed")).toBe("false");
    await page.context().close();
  });
});
