import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApp } from "../../api/test/helpers/harness";
import { createFinishedRun, fixtureLine } from "../../api/test/helpers/run-fixture";
import { fillSignIn, signIn, startDashboard } from "./helpers/browser";

/**
 * The run page's log on a big run (issue 7): it opens at the run's end without reading
 * the run from its start, reads the lines a scroll lands on, and finds (search) and
 * filters (host) over the whole run, not only over the lines the browser holds.
 */
let app: TestApp;
let browser: Browser;
let dashboard: Awaited<ReturnType<typeof startDashboard>>;
let runId: string;
const HOSTS = 10;
const PER_HOST = 30_000;

beforeAll(async () => {
  dashboard = await startDashboard("run-log-e2e-dist");
  ({ app, browser } = dashboard);
  ({ runId } = await createFinishedRun(app.db, { hosts: HOSTS, linesPerHost: PER_HOST, chunk: 500, prefix: "big" }));
}, 240_000);

afterAll(async () => {
  await dashboard?.close();
});

/** The run page, signed in, with the output reads (and every API call) it makes from its first one. */
async function runPage(): Promise<{ page: Page; reads: Record<string, unknown>[]; calls: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  await signIn(page, app.url, app.admin.email, app.admin.password);
  const { reads, calls } = watchReads(page);
  await page.goto(`${app.url}/runs/${runId}`);
  return { page, reads, calls };
}

/** The texts of the log lines inside the log box's visible area, top to bottom. */
const linesInView = (page: Page): Promise<string[]> =>
  page.getByTestId("log-box").evaluate((box) => {
    const b = box.getBoundingClientRect();
    return [...box.querySelectorAll('[data-testid="log-line"]')]
      .map((el) => ({ top: el.getBoundingClientRect().top, bottom: el.getBoundingClientRect().bottom, text: el.textContent ?? "" }))
      .filter((r) => r.top >= b.top - 1 && r.bottom <= b.bottom + 1)
      .sort((x, y) => x.top - y.top)
      .map((r) => r.text);
  });

/** The inputs of the `runs.output` reads the page makes, and the procedures of all its API calls. */
function watchReads(page: Page) {
  const reads: Record<string, unknown>[] = [];
  const calls: string[] = [];
  page.on("request", (req) => {
    const url = new URL(req.url());
    // A batch: /trpc/a,b?batch=1&input={"0": ..., "1": ...}; one call: /trpc/a?input=...
    const paths = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf("/") + 1)).split(",");
    const raw = JSON.parse(url.searchParams.get("input") ?? "{}") as Record<string, unknown>;
    const input = (url.searchParams.has("batch") ? raw : { 0: raw }) as Record<string, Record<string, unknown> | undefined>;
    if (url.pathname.startsWith("/trpc/")) calls.push(...paths);
    paths.forEach((path, i) => {
      const v = input[String(i)];
      if (path === "automation.runs.output" && v) reads.push((v.json as Record<string, unknown> | undefined) ?? v);
    });
  });
  return { reads, calls };
}

describe("run page log, 300,000 lines", () => {
  it("opens at the last line, and reads the lines a jump to the top lands on", async () => {
    const { page, reads, calls } = await runPage();
    await expect
      .poll(() => linesInView(page), { timeout: 60_000 })
      .toContainEqual(expect.stringContaining(fixtureLine("big", 9, PER_HOST)));
    // Opened fresh and signed in, the session, the run, the grid's first page and the tail
    // came answered in the HTML (early-reads takes them): the page asks for none of them,
    // however often it mounts (this build runs React's StrictMode checks, which mount it twice).
    expect(calls.filter((p) => p === "identity.auth.me")).toHaveLength(0);
    expect(calls.filter((p) => p === "automation.runs.get")).toHaveLength(0);
    expect(await page.getByTestId("log-count").textContent()).toContain("300,000 lines");
    // Nothing from the run's start was read to get there.
    expect(reads.filter((r) => r.beforeSeq !== undefined)).toHaveLength(0);
    expect(reads, JSON.stringify(reads)).toSatisfy((all: typeof reads) =>
      all.every((r) => typeof r.position === "number" && r.position > 250_000),
    );

    await page.getByTestId("log-box").evaluate((box) => (box.scrollTop = 0));
    await expect.poll(() => linesInView(page), { timeout: 60_000 }).toContainEqual(expect.stringContaining(fixtureLine("big", 0, 1)));
    expect(await page.getByTestId("log-follow").getAttribute("aria-pressed")).toBe("false");
    expect(reads.some((r) => r.position === 0)).toBe(true);
    await page.context().close();
  });

  it("search finds a line far from the lines held, and a click shows it in the log", async () => {
    const { page } = await runPage();
    await expect
      .poll(() => linesInView(page), { timeout: 60_000 })
      .toContainEqual(expect.stringContaining(fixtureLine("big", 9, PER_HOST)));
    const far = fixtureLine("big", 3, 1234);
    await page.getByLabel("Search output").fill("big-3 line 1234:");
    const result = page.getByTestId("search-result");
    await expect.poll(() => result.allTextContents(), { timeout: 60_000 }).toEqual([expect.stringContaining(far)]);
    expect(await page.getByTestId("search-count").textContent()).toContain("1 line");
    await result.click();
    await expect.poll(() => linesInView(page), { timeout: 60_000 }).toContainEqual(expect.stringContaining(far));
    await page.context().close();
  });

  it("the host filter covers the whole run: that host's lines from its last back to its first", async () => {
    const { page, reads } = await runPage();
    await page.getByTestId("log-host-filter").selectOption({ label: "big-4" });
    await expect
      .poll(() => linesInView(page), { timeout: 60_000 })
      .toContainEqual(expect.stringContaining(fixtureLine("big", 4, PER_HOST)));
    expect(await page.getByTestId("log-count").textContent()).toContain("30,000 lines");
    expect(reads.filter((r) => r.beforeSeq !== undefined && r.ordinal === 4)).toHaveLength(1);
    expect((await linesInView(page)).every((t) => t.startsWith("big-4"))).toBe(true);
    await page.getByTestId("log-box").evaluate((box) => (box.scrollTop = 0));
    await expect
      .poll(() => linesInView(page), { timeout: 60_000 })
      .toEqual(
        expect.arrayContaining([expect.stringContaining(fixtureLine("big", 4, 1)), expect.stringContaining(fixtureLine("big", 4, 2))]),
      );
    // A search within the host: only its lines match.
    await page.getByLabel("Search output").fill("line 20000:");
    await expect
      .poll(() => page.getByTestId("search-result").allTextContents(), { timeout: 60_000 })
      .toEqual([expect.stringContaining(fixtureLine("big", 4, 20_000))]);
    await page.context().close();
  });

  it("opened in a new tab, shows the run's title and last lines before the dashboard runs, then the dashboard takes over", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const home = await context.newPage();
    await signIn(home, app.url, app.admin.email, app.admin.password);
    // What the page shows at each frame until the dashboard's pane is on screen: the first
    // paint's last line, the pane's, and whether the pane was ever shown without its lines.
    await context.addInitScript(() => {
      const w = window as unknown as { __frames: string[] };
      w.__frames = [];
      const seen = (sel: string) => [...document.querySelectorAll(sel)].filter((el) => el.checkVisibility({ visibilityProperty: true }));
      const tick = () => {
        const paint = seen('[data-testid="first-paint-line"]').at(-1)?.textContent ?? "";
        const box = seen('[data-testid="log-box"]')[0];
        const pane = box ? ([...box.querySelectorAll('[data-testid="log-line"]')].at(-1)?.textContent ?? "(empty)") : "";
        w.__frames.push(`${paint ? `paint:${paint}` : ""}|${pane ? `pane:${pane}` : ""}`);
        if (!pane) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const page = await context.newPage();
    const { calls } = watchReads(page);
    await page.goto(`${app.url}/runs/${runId}`);
    await expect
      .poll(() => linesInView(page), { timeout: 60_000 })
      .toContainEqual(expect.stringContaining(fixtureLine("big", 9, PER_HOST)));
    await page.getByTestId("first-paint").waitFor({ state: "detached" });
    const frames = await page.evaluate(() => (window as unknown as { __frames: string[] }).__frames);
    const last = fixtureLine("big", 9, PER_HOST);
    // First the server's paint with the last line, then the pane with the same line: never
    // both, never neither once painted, never the pane without its lines.
    expect(
      frames.some((f) => f.startsWith(`paint:big-9command${last}|`)),
      frames.join("\n"),
    ).toBe(true);
    expect(frames.at(-1)).toBe(`|pane:big-9command${last}`);
    const firstPainted = frames.findIndex((f) => f !== "|");
    expect(
      frames.slice(firstPainted).every((f) => f.includes(last)),
      frames.join("\n"),
    ).toBe(true);
    expect(await page.getByTestId("run-title").isVisible()).toBe(true);
    expect(calls.filter((p) => p === "automation.runs.output")).toHaveLength(0);
    await context.close();
  });

  it("the first paint shows a run's markup-like title and lines as text", async () => {
    const evil = `</script><script>window.__hit = 1</script><img src=x onerror="window.__hit = 2">`;
    const title = `<b>bold</b> </script> & "quoted"`;
    const { runId: evilRun } = await createFinishedRun(app.db, { hosts: 1, linesPerHost: 10, chunk: 10, prefix: evil, title });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await signIn(page, app.url, app.admin.email, app.admin.password);
    // Stop the dashboard's code, so what is on screen is the server's HTML alone.
    await context.route(/\/assets\/.*\.js$/, (route) => route.abort());
    await page.goto(`${app.url}/runs/${evilRun}`);
    await page.getByTestId("first-paint-title").waitFor();
    expect(await page.getByTestId("first-paint-title").textContent()).toBe(title);
    expect(await page.getByTestId("first-paint-line").last().textContent()).toBe(`${evil}-0command${fixtureLine(evil, 0, 10)}`);
    expect(await page.locator("#first-paint b, #first-paint img, #first-paint script").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __hit?: number }).__hit)).toBeUndefined();
    await context.close();
  });

  it("a run that is not there, opened fresh, says so", async () => {
    // The first reads go out before the dashboard's code (early-reads, plain fetch): their
    // error answers must reach the page as the tRPC client's own errors would. (An error is
    // not kept by the query cache: the loader asks again, so the run view is read twice.)
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await signIn(page, app.url, app.admin.email, app.admin.password);
    const { calls } = watchReads(page);
    await page.goto(`${app.url}/runs/00000000-0000-4000-8000-000000000000`);
    await page.getByRole("alert").filter({ hasText: "Run not found" }).waitFor({ timeout: 60_000 });
    expect(calls.filter((p) => p === "identity.auth.me")).toHaveLength(1);
    await context.close();
  });

  it("a link to a host's log opened signed out goes to sign-in, then back to that host's last lines", async () => {
    // The page's reads start before the dashboard runs (early-reads): signed out they answer
    // 401, and the page must still go to sign-in and come back with its filter.
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${app.url}/runs/${runId}?ordinal=4`);
    await page.waitForURL(/\/login\?redirect=/);
    await fillSignIn(page, app.admin.email, app.admin.password);
    await page.waitForURL((url) => url.pathname === `/runs/${runId}` && url.search.includes("ordinal=4"));
    await expect
      .poll(() => linesInView(page), { timeout: 60_000 })
      .toContainEqual(expect.stringContaining(fixtureLine("big", 4, PER_HOST)));
    expect((await linesInView(page)).every((t) => t.startsWith("big-4"))).toBe(true);
    await context.close();
  });
});
