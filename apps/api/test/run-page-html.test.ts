import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/harness";
import { createFinishedRun, fixtureLine } from "./helpers/run-fixture";

/**
 * GET /runs/:id answers the dashboard's index.html with the run's title and last lines in
 * it (issue 7, a new tab's first paint): only for a session allowed to read the run, every
 * stored byte escaped, never kept by a shared cache.
 */
const INDEX =
  '<!doctype html><html><head><title>OpsConductor</title><link rel="modulepreload" crossorigin href="/assets/mount-1.js">' +
  '</head><body><div id="root"></div></body></html>';
// A host name and a title a script or markup could hide in: line texts start with the host's name.
const EVIL_HOST = `</script><script>alert(1)</script><img src=x onerror="alert(2)">&amp;'`;
const EVIL_TITLE = `<b>bold</b> </script><!-- "quoted" & 'single'`;

let app: TestApp;
let dist: string;
let runId: string;
let adminCookie: string;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), "ops-web-dist-"));
  writeFileSync(join(dist, "index.html"), INDEX);
  app = await startTestApp({ webDist: dist });
  ({ runId } = await createFinishedRun(app.db, { hosts: 2, linesPerHost: 40, chunk: 20, prefix: EVIL_HOST, title: EVIL_TITLE }));
  ({ cookie: adminCookie } = await app.login(app.admin.email, app.admin.password));
}, 60_000);

afterAll(async () => {
  await app?.close();
  rmSync(dist, { recursive: true, force: true });
});

const open = async (path: string, cookie?: string) => {
  const res = await fetch(`${app.url}${path}`, { headers: cookie ? { cookie } : {} });
  return { res, html: await res.text() };
};

/** The JSON the page carries for its early reads, parsed; null when there is none. */
function inlineReads(html: string) {
  const m = /<script type="application\/json" id="early-answers">([\s\S]*?)<\/script>/.exec(html);
  return m ? (JSON.parse(m[1]!) as { runId: string; answers: Record<string, any> }) : null;
}

describe("the run page's HTML", () => {
  it("carries the run's title and last lines, as text, and the first reads' answers, for a user allowed to read it", async () => {
    const { res, html } = await open(`/runs/${runId}`, adminCookie);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("content-type")).toContain("text/html");
    // Escaped: no markup from the run's data, and one </script> (the JSON's own end).
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).not.toContain("<!-- ");
    expect(html).toContain(
      `<span data-testid="first-paint-title">&lt;b&gt;bold&lt;/b&gt; &lt;/script&gt;&lt;!-- &quot;quoted&quot; &amp; &#39;single&#39;</span>`,
    );
    // The last lines in view, as the log pane shows them: host name, step, text.
    const lastLine = fixtureLine(EVIL_HOST, 1, 40);
    const escaped = (s: string) =>
      s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    expect(html).toContain(
      `<span class="log-host">${escaped(`${EVIL_HOST}-1`)}</span><span class="log-step">command</span>${escaped(lastLine)}</div>`,
    );
    expect(html.match(/data-testid="first-paint-line"/g)).toHaveLength(27);
    // The answers are the procedures' own, the stored text as it is once parsed.
    const reads = inlineReads(html)!;
    expect(reads.runId).toBe(runId);
    expect(reads.answers.get.title).toBe(EVIL_TITLE);
    expect(reads.answers.tail.lines.at(-1).text).toBe(lastLine);
    expect(reads.answers.tail.lines).toHaveLength(80);
    expect(reads.answers.me.email).toBe(app.admin.email);
    expect(reads.answers.hosts.items).toHaveLength(2);
    // The dashboard's code is imported after the first paint: its preloads are left out.
    expect(html).not.toContain("modulepreload");
  });

  it("carries nothing of the run for a signed-out request, a user without runs.read, another run, a filtered view or a run of 101 hosts", async () => {
    const nobody = await app.createUser({ roles: [] });
    const { cookie: nobodyCookie } = await app.login(nobody.email, nobody.password);
    // A run of more than 100 hosts opens on its grid: the plain page reads it faster.
    const { runId: wide } = await createFinishedRun(app.db, { hosts: 101, linesPerHost: 1, chunk: 1, prefix: "wide" });
    const cases = [
      await open(`/runs/${wide}`, adminCookie),
      await open(`/runs/${runId}`),
      await open(`/runs/${runId}`, "ops_session=not-a-session"),
      await open(`/runs/${runId}`, nobodyCookie),
      await open(`/runs/00000000-0000-4000-8000-000000000000`, adminCookie),
      await open(`/runs/${runId}?ordinal=1`, adminCookie),
    ];
    for (const { res, html } of cases) {
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("private, no-store");
      expect(html).toBe(INDEX);
    }
  });

  it("is refused data by the same rule as runs.get: a viewer reads it", async () => {
    const viewer = await app.createUser({ roles: ["viewer"] });
    const { cookie } = await app.login(viewer.email, viewer.password);
    const { html } = await open(`/runs/${runId}`, cookie);
    expect(inlineReads(html)?.answers.get.id).toBe(runId);
    expect(html).toContain('data-testid="first-paint"');
  });
});
