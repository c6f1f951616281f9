/// <reference lib="dom" />
// Diagnostic for the run page (issue 7), not a target: the 100-line run opened in a new
// tab, traced (Chromium's tracing, browser-wide). Prints per load the wall time to the run
// title and its last line, and the renderer main thread's CPU from navigation to the title,
// of which after the dashboard's big chunk was compiled: CPU, unlike wall time, holds up
// while the machine is loaded (tracing itself slows the wall figures). DISTS lists builds
// to compare, loaded in turn (A, B, A, B...) so that both see the same load; the first load
// of each is not traced (it fills the HTTP cache). VERBOSE=1 prints the main thread's time
// by kind and its tasks over 8 ms; TRACE_OUT=prefix writes each trace, CPU_PROFILE=1 adds
// V8's sampling profile to it.
// Run: cd bench && DISTS=dist-a,dist-b DATABASE_URL=... npx tsx run-page-trace.ts
import { createFinishedRun, fixtureLine } from "../apps/api/test/helpers/run-fixture";
import { ensureBuilt, launchChromium, signIn, webRoot } from "../apps/web/test/helpers/chromium";
import { join } from "node:path";
import { ADMIN, startBenchApi } from "./lib/api";

type Ev = { name: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number; args?: any; cat: string };

// DISTS: builds to compare, comma-separated, loaded in turn (A, B, A, B, ...) so both see the same load.
const dists = (process.env.DISTS ?? process.env.BENCH_WEB_DIST ?? ensureBuilt(join(webRoot, "test-results", "bench-run-page"))).split(",");
const LOADS = Number(process.env.LOADS ?? 6);
const TRACE = process.env.TRACE !== "0";
const browser = await launchChromium();
const sides = [] as {
  dist: string;
  api: Awaited<ReturnType<typeof startBenchApi>>;
  runId: string;
  context: Awaited<ReturnType<typeof browser.newContext>>;
  title: number[];
  line: number[];
  cpu: number[];
  after: number[];
}[];
try {
  for (const [k, dist] of dists.entries()) {
    const api = await startBenchApi(`probe${k}`, { webDist: dist });
    const small = await createFinishedRun(api.db, { hosts: 10, linesPerHost: 10, chunk: 10, prefix: "small" });
    const context = await browser.newContext();
    await context.addInitScript("window.__name = (f) => f");
    const page0 = await context.newPage();
    await signIn(page0, api.url, ADMIN.email, ADMIN.password);
    // The signed-in tab stays open, so each load is a new tab of that window (as a user's);
    // WINDOW=new closes it, and each load is a new window with its own omnibox renderer.
    if (process.env.WINDOW === "new") await page0.close();
    sides.push({ dist, api, runId: small.runId, context, title: [], line: [], cpu: [], after: [] });
  }
  const last = fixtureLine("small", 9, 10);
  for (let i = 0; i < LOADS; i++) {
    for (const side of sides) {
      const p = await side.context.newPage();
      const trace = TRACE && i >= 1;
      if (trace)
        await browser.startTracing(undefined, {
          categories: [
            "devtools.timeline",
            "disabled-by-default-devtools.timeline",
            "v8.execute",
            "blink.user_timing",
            ...(process.env.CPU_PROFILE ? ["disabled-by-default-v8.cpu_profiler"] : []),
            "loading",
            "toplevel",
            "netlog",
            "__metadata",
          ],
        });
      await p.goto(`${side.api.url}/runs/${side.runId}`, { waitUntil: "commit" });
      const title = await p.waitForFunction(
        () => !!document.querySelector('[data-testid="run-title"]') && (performance.mark("probe-title"), performance.now()),
        undefined,
        { polling: "raf", timeout: 60_000 },
      );
      const tTitle = (await title.jsonValue()) as number;
      const line = await p.waitForFunction(
        (want) => {
          const box = document.querySelector('[data-testid="log-box"]');
          if (!box) return false;
          for (const el of box.querySelectorAll('[data-testid="log-line"]'))
            if (el.textContent?.includes(want)) return (performance.mark("probe-line"), performance.now());
          return false;
        },
        last,
        { polling: "raf", timeout: 60_000 },
      );
      const tLine = (await line.jsonValue()) as number;
      side.title.push(tTitle);
      side.line.push(tLine);
      let cpu = "";
      if (trace) {
        const buf = await browser.stopTracing();
        const events = (JSON.parse(buf.toString()).traceEvents ?? JSON.parse(buf.toString())) as Ev[];
        if (process.env.TRACE_OUT)
          (await import("node:fs")).writeFileSync(`${process.env.TRACE_OUT}-${sides.indexOf(side)}-${i + 1}.json`, buf);
        const a = analyse(events);
        side.cpu.push(a.cpu);
        side.after.push(a.after);
        cpu = process.env.VERBOSE
          ? a.text
          : `cpu ${a.cpu} ms, of which ${a.after} ms after the dashboard's code was compiled (at ${a.mountAt} ms); ${a.others}`;
      }
      console.log(`${side.dist.split("/").pop()} load ${i + 1}: title ${Math.round(tTitle)} ms, line ${Math.round(tLine)} ms; ${cpu}`);
      await p.close();
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
  for (const s of sides)
    console.log(
      `${s.dist.split("/").pop()}: title p50 ${Math.round(med(s.title))} ms, line p50 ${Math.round(med(s.line))} ms, main-thread CPU to title p50 ${Math.round(med(s.cpu))} ms (${s.cpu.join(", ")}), of it after the code was compiled p50 ${Math.round(med(s.after))} ms (${s.after.join(", ")})`,
    );
} finally {
  await browser.close();
  for (const s of sides) await s.api.stop();
}
process.exit(0);

function analyse(events: Ev[]): { cpu: number; after: number; mountAt: number; others: string; text: string } {
  const mark = events.find((e) => e.name === "probe-title");
  if (!mark) return { cpu: NaN, after: NaN, mountAt: NaN, others: "", text: "  (no title mark in trace)" };
  const pid = mark.pid;
  const threads = new Map<number, string>();
  for (const e of events) if (e.ph === "M" && e.name === "thread_name" && e.pid === pid) threads.set(e.tid, e.args.name);
  const mainTid = [...threads].find(([, n]) => n === "CrRendererMain")?.[0];
  const navStart =
    events.find((e) => e.pid === pid && e.name === "navigationStart")?.ts ??
    events.find((e) => e.pid === pid && e.tid === mainTid)?.ts ??
    0;
  const main = events.filter((e) => e.pid === pid && e.tid === mainTid && e.ph === "X" && e.ts >= navStart && e.ts <= mark.ts);
  // Top-level tasks: those not inside another.
  main.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  // From the dashboard's code compiled (its big chunk arrived) to the title: the CPU on the critical path.
  const mountAt =
    main.find((e) => e.name === "v8.compileModule" && /\/mount-/.test(e.args?.fileName ?? e.args?.data?.url ?? ""))?.ts ?? NaN;
  let after = 0;
  let end = 0;
  let cpu = 0;
  let wall = 0;
  const top: Ev[] = [];
  for (const e of main) {
    if (e.ts >= end) {
      top.push(e);
      end = e.ts + (e.dur ?? 0);
      cpu += e.tdur ?? e.dur ?? 0;
      if (e.ts >= mountAt) after += e.tdur ?? e.dur ?? 0;
      wall += e.dur ?? 0;
    }
  }
  // Self time by name (the innermost event owns its time).
  const self = new Map<string, number>();
  const stack: Ev[] = [];
  const ends = (e: Ev) => e.ts + (e.dur ?? 0);
  const add = (n: string, v: number) => self.set(n, (self.get(n) ?? 0) + v);
  for (const e of main) {
    while (stack.length && ends(stack.at(-1)!) <= e.ts) stack.pop();
    const parent = stack.at(-1);
    if (parent) add(label(parent), -(e.dur ?? 0));
    add(label(e), e.dur ?? 0);
    stack.push(e);
  }
  // The other processes' CPU over the same span (Chromium's own per-tab work competes for the cores).
  const procs = new Map<number, string>();
  for (const e of events) if (e.ph === "M" && e.name === "process_name") procs.set(e.pid, e.args.name);
  const others = new Map<string, number>();
  const busyUntil = new Map<string, number>();
  const spans = events
    .filter((e) => e.pid !== pid && e.ph === "X" && e.tdur !== undefined && e.ts >= navStart && e.ts <= mark.ts)
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  for (const e of spans) {
    const thread = `${e.pid}/${e.tid}`;
    if (e.ts < (busyUntil.get(thread) ?? 0)) continue;
    busyUntil.set(thread, e.ts + (e.dur ?? 0));
    const name = procs.get(e.pid) ?? String(e.pid);
    others.set(name, (others.get(name) ?? 0) + e.tdur!);
  }
  const otherCpu = [...others]
    .filter(([, v]) => v > 10_000)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${Math.round(v / 1000)} ms`)
    .join(", ");
  const kinds = [...self].filter(([, v]) => v > 3000).sort((a, b) => b[1] - a[1]);
  const nav0 = navStart;
  const timeline = top
    .filter((e) => (e.dur ?? 0) > 8000)
    .map((e) => `      ${Math.round((e.ts - nav0) / 1000)}+${Math.round((e.dur ?? 0) / 1000)} ms ${innerMost(main, e)}`)
    .join("\n");
  return {
    others: otherCpu,
    cpu: Math.round(cpu / 1000),
    after: Math.round(after / 1000),
    mountAt: Math.round((mountAt - navStart) / 1000),
    text:
      `  renderer main thread, navigation to title (${Math.round((mark.ts - navStart) / 1000)} ms): busy ${Math.round(wall / 1000)} ms wall, ${Math.round(cpu / 1000)} ms CPU\n` +
      kinds.map(([k, v]) => `      ${k}: ${Math.round(v / 1000)} ms`).join("\n") +
      `\n    other processes, all threads: ${otherCpu}` +
      `\n    tasks > 8 ms:\n${timeline}`,
  };
}

function label(e: Ev): string {
  const url = e.args?.data?.url ?? e.args?.data?.stackTrace?.[0]?.url ?? e.args?.fileName ?? "";
  const short = typeof url === "string" ? url.replace(/^.*\//, "").slice(0, 40) : "";
  return short ? `${e.name} ${short}` : e.name;
}

function innerMost(all: Ev[], top: Ev): string {
  const inside = all.filter((e) => e.ts >= top.ts && e.ts + (e.dur ?? 0) <= top.ts + (top.dur ?? 0) && e !== top && (e.dur ?? 0) > 3000);
  const names = [...new Set(inside.map(label))].slice(0, 6);
  return `${label(top)} [${names.join(", ")}]`;
}
