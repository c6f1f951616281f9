// The run page's first paint: the server sends a run's title and last lines in the HTML
// (apps/api run-page-html.ts), painted before the dashboard's code has run. The dashboard
// renders under it, hidden (app.css: `#first-paint ~ #root`), and takes its place in one
// step once it shows the same thing (the log pane at its end), or at once when it shows
// something else (another page, sign-in, an error). Keep this module free of imports:
// early-reads (the entry) uses it.

/** The dashboard takes over from the server's first paint (no-op when there is none). */
export function dropFirstPaint() {
  document.getElementById("first-paint")?.remove();
}

/**
 * `load` now, or once the server's first paint is on screen: in a new tab the browser paints
 * it only between tasks, and compiling and evaluating the dashboard's code (~0.3-0.6 s of
 * main thread here) would come first. The server leaves such a page's modulepreload links
 * out for the same reason (run-page-html.ts); the dynamic imports fetch the same files.
 */
export function afterFirstPaint(load: () => void) {
  if (!document.getElementById("first-paint")) return load();
  requestAnimationFrame(() => setTimeout(load));
}

/** What the server sent with the run page (run-page-html.ts `readRunPage`), as it sent it. */
export type InlineReads = {
  runId: string;
  inputs: { tail: unknown; hosts: unknown };
  answers: { me: unknown; get: unknown; hosts: unknown; tail: unknown };
};

/** The run page's first reads answered in the HTML, taken once (a later navigation reads as usual). */
export function takeInlineReads(): InlineReads | null {
  const el = document.getElementById("early-answers");
  if (!el) return null;
  el.remove();
  try {
    return JSON.parse(el.textContent ?? "") as InlineReads;
  } catch {
    return null;
  }
}
