import { readFile } from "node:fs/promises";
import type { NextFunction, Request, Response } from "express";
import { automationRunSchemas as s } from "@ops/domain";
import { appRouter } from "../routers/root";
import { createCallerFactory, type Context } from "../trpc";

// The run page's HTML with its first reads answered in it (issue 7: "the last lines of a
// 2M-line run in under 1 s", in a new tab). A new tab spends ~1 s starting a renderer and
// compiling the dashboard's ~550 KB before it can render anything; the run's title and last
// lines sent in the HTML paint before that, and the early reads (apps/web early-reads.ts)
// take their answers from the page instead of a round trip. ADR 0007.
//
// What is sent is what the same tRPC calls would answer this request (the procedures
// themselves are called, with their `runs.read` check and the session cookie's principal):
// the stored output, which is masked when stored. Nothing for a signed-out request, a
// principal without the permission, a run that is not there or any other error: the page
// is then the plain index.html, and the dashboard reads and reports as before. Never cached
// by a shared cache (private, no-store): it holds a user's data.

const createCaller = createCallerFactory(appRouter);

/** As the dashboard's run-inputs.ts: the tail it reads on opening a run, and the grid's first page. */
const TAIL_LINES = 200;
const HOSTS_PAGE_SIZE = 100;
/** Rows of the log box in view (its 480 px at 18 px a row), as log-pane.tsx. */
const ROW = 18;
const HEIGHT = 480;
const ROWS_IN_VIEW = Math.ceil(HEIGHT / ROW);
/**
 * Past this many hosts the run view is big (~390 KB at 1,000 hosts) and the page's first
 * paint is its grid, not its log: the plain page, whose reads and code travel side by side,
 * was faster there (run-page.ts, 1,000 hosts: grid 857 against 1,619 ms p50 inlined).
 */
const MAX_HOSTS = 100;

type Reads = Awaited<ReturnType<typeof readRunPage>>;

async function readRunPage(ctx: Context, runId: string) {
  const caller = createCaller(ctx);
  const tailInput = { runId, beforeSeq: Number.MAX_SAFE_INTEGER, limit: TAIL_LINES };
  const hostsInput = { runId, page: 1, pageSize: HOSTS_PAGE_SIZE };
  // The same calls as early-reads.ts makes, side by side; any error (401, 403, 404) and the page reads them itself.
  const [me, get, hosts, tail] = await Promise.all([
    caller.identity.auth.me(),
    caller.automation.runs.get({ runId }),
    caller.automation.runs.hosts(hostsInput),
    caller.automation.runs.output(tailInput),
  ]);
  return { runId, inputs: { tail: tailInput, hosts: hostsInput }, answers: { me, get, hosts, tail } };
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * JSON inside a <script> element: no `<` at all (so no `</script>` and no `<!--`), and the
 * two line separators JavaScript once did not allow in strings.
 */
export const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");

const STREAM_CLASS = { stdout: "", stderr: " text-danger", engine: " text-info" } as const;

/**
 * The first paint: the run's title and the last lines as the log pane shows them at its end
 * (host name, step, text; stderr red, engine lines blue; the last row at the box's bottom).
 * The dashboard, rendered hidden under it, takes its place once its log pane shows the same
 * lines (first-paint.ts).
 */
function firstPaint(reads: Reads): string {
  const { get, tail } = reads.answers;
  const names = new Map(get.hosts.map((h) => [h.ordinal, h.targetName]));
  const lines = tail.lines.slice(-ROWS_IN_VIEW);
  const height = lines.length * ROW;
  const rows = lines
    .map((l, i) => {
      // Following, the pane is scrolled to its end: the last row's bottom is the box's bottom.
      const top = height > HEIGHT ? HEIGHT - height + i * ROW : i * ROW;
      const host = names.get(l.ordinal) ?? `#${l.ordinal}`;
      return (
        `<div class="log-line${STREAM_CLASS[l.stream]}" style="top:${top}px" data-testid="first-paint-line">` +
        `<span class="log-host">${escapeHtml(host)}</span><span class="log-step">${escapeHtml(l.stepId)}</span>${escapeHtml(l.text)}</div>`
      );
    })
    .join("");
  return (
    `<div id="first-paint" class="container-fluid py-3" data-testid="first-paint">` +
    `<h1 class="h3 mb-3 text-break"><span data-testid="first-paint-title">${escapeHtml(get.title)}</span></h1>` +
    `<div class="card mb-3"><div class="log-box font-monospace" style="height:${HEIGHT}px" data-testid="first-paint-log">` +
    `<div class="log-rows" style="height:${Math.min(height, HEIGHT)}px">${rows}</div></div></div></div>`
  );
}

/** index.html with the first paint before the dashboard's root and the answers in a JSON script element. */
export function withRunPage(indexHtml: string, reads: Reads): string {
  const data = `<script type="application/json" id="early-answers">${scriptJson(reads)}</script>`;
  const root = '<div id="root"></div>';
  if (!indexHtml.includes(root)) return indexHtml;
  // The dashboard's modulepreloads would be compiled before the first paint (0.2-0.4 s later
  // in a new tab, measured); the page imports the same files once it has painted (first-paint.ts).
  const head = indexHtml.replace(/<link rel="modulepreload"[^>]*>\s*/g, "");
  return head.replace(root, `${firstPaint(reads)}${root}${data}`);
}

/** GET /runs/:runId: index.html, with the run's first reads in it when this request may read them. */
export function runPageHtml(opts: {
  indexPath: string;
  createContext: (req: Request, res: Response) => Promise<Context>;
  onError: (req: Request, e: unknown) => void;
}) {
  return (req: Request, res: Response, next: NextFunction) => void serve(req, res).catch(next);
  async function serve(req: Request, res: Response) {
    res.setHeader("Cache-Control", "private, no-store");
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    const index = await readFile(opts.indexPath, "utf8");
    const runId = s.runIdInput.shape.runId.safeParse(req.params.runId);
    // A filtered view (a host, a step) is read by the page itself: the first paint is the run's own tail.
    if (!runId.success || Object.keys(req.query).length > 0) return void res.send(index);
    let reads: Reads | null = null;
    try {
      const ctx = await opts.createContext(req, res);
      if (ctx.principal) reads = await readRunPage(ctx, runId.data);
      if (reads && reads.answers.get.hosts.length > MAX_HOSTS) reads = null;
    } catch (e) {
      // Refused (signed out, no runs.read, no such run) or failed: the page asks and reports it itself.
      const code = (e as { code?: string }).code;
      if (!["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "BAD_REQUEST"].includes(code ?? "")) opts.onError(req, e);
    }
    res.send(reads ? withRunPage(index, reads) : index);
  }
}
