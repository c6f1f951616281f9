import type { OutputLine } from "@ops/domain/schemas/automation-runs";
import { Download, Pause, Play } from "lucide-react";
import { memo, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { dropFirstPaint } from "../../app/first-paint";
import { SearchBox } from "../../components/search-box";
import { STREAM_NAMES, type LogStore } from "./log-store";
import { SearchResults } from "./search-results";
import type { useRunOutput } from "./use-run-output";

const ROW = 18;
const HEIGHT = 480;
const OVERSCAN = 20;
const VISIBLE = Math.ceil(HEIGHT / ROW);
/**
 * Row elements are keyed by slot (position modulo the most rows ever rendered), not by
 * position: a jump across the log rewrites the same few dozen rows in place instead of
 * removing and creating them all, which is most of what a frame of a fast drag costs.
 */
const SLOTS = VISIBLE + 2 * OVERSCAN + 1;
/** Browsers cap an element's height (Chromium near 33.5M px); past this, scroll position maps to lines proportionally. */
const MAX_PX = 15_000_000;
const STREAM_CODE = { stdout: 0, stderr: 1, engine: 2 } as const;

type Host = { ordinal: number; name: string };
type Filter = { ordinal?: number; step?: string };

/**
 * The run's log, virtualised: only the rows in view (plus a margin) are in the DOM, and
 * only the pages around them are held (`useRunOutput` reads the others when they come
 * into view), so a million lines scroll like a hundred. Follow mode keeps the newest line
 * in view and pauses as soon as the user scrolls up; scrolling back to the end resumes it.
 * Host and step filters and the search run on the server, over the whole run.
 * A scroll re-renders the rows only (`LogView`); the toolbar re-renders when what it
 * shows changes, not on every page read.
 */
export function LogPane(props: {
  runId: string;
  output: ReturnType<typeof useRunOutput>;
  hosts: Host[];
  steps: string[];
  ordinal?: number;
  step?: string;
  onFilter: (f: Filter) => void;
}) {
  const { store, want, locate } = props.output;
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQuery(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const [follow, setFollow] = useState(true);
  /** A line to scroll to and mark (a search result picked); a new object for each pick. */
  const [jump, setJump] = useState<{ position: number } | null>(null);
  const hostName = useMemo(() => new Map(props.hosts.map((h) => [h.ordinal, h.name])), [props.hosts]);
  // Another filter is another list of lines: start at its end again.
  useEffect(() => (setFollow(true), setJump(null)), [store]);
  const pick = useCallback(
    async (l: OutputLine) => {
      const position = await locate(l.seq);
      if (position !== undefined) setJump({ position });
    },
    [locate],
  );

  return (
    <div className="card mb-3" data-testid="log-pane">
      <LogToolbar
        runId={props.runId}
        store={store}
        hosts={props.hosts}
        steps={props.steps}
        ordinal={props.ordinal}
        step={props.step}
        onFilter={props.onFilter}
        search={search}
        onSearch={setSearch}
        query={query}
        follow={follow}
        onFollow={setFollow}
      />
      {query && (
        <SearchResults
          runId={props.runId}
          store={store}
          query={query}
          ordinal={props.ordinal}
          step={props.step}
          hostName={hostName}
          onPick={pick}
        />
      )}
      <LogView store={store} want={want} follow={follow} onFollow={setFollow} jump={jump} hostName={hostName} />
    </div>
  );
}

const LogView = memo(function LogView(props: {
  store: LogStore;
  want: (pages: number[]) => void;
  follow: boolean;
  onFollow: (follow: boolean) => void;
  jump: { position: number } | null;
  hostName: Map<number, string>;
}) {
  const { store, want, follow, onFollow, hostName } = props;
  // Re-rendered on every new batch or page read; only the rows, not the run page around them.
  const version = useSyncExternalStore(store.subscribe, store.getVersion);
  const count = store.total;
  const [top, setTop] = useState(0);
  const [hit, setHit] = useState<number | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => setHit(null), [store]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [follow, count]);
  // Once at its end with the lines in (after the scroll above): the server's first paint showed the same.
  useEffect(() => {
    if (store.ready) dropFirstPaint();
  }, [store, store.ready]);

  const rowsInBox = HEIGHT / ROW;
  const scaled = count * ROW > MAX_PX;
  const height = scaled ? MAX_PX : count * ROW;
  // Following, the view is at the end even before the box has scrolled there: no read of the rows at the top.
  const viewTop = follow ? Math.max(0, height - HEIGHT) : top;
  // Scaled, the line at the top of the box is fractional, so the scroll's end shows the last line whole.
  const exact = scaled ? (viewTop / Math.max(1, height - HEIGHT)) * Math.max(0, count - rowsInBox) : viewTop / ROW;
  const firstVisible = Math.floor(exact);
  const first = Math.max(0, firstVisible - OVERSCAN);
  const last = Math.min(count, firstVisible + VISIBLE + OVERSCAN);
  const rowTop = (n: number) => (scaled ? viewTop + (n - exact) * ROW : n * ROW);

  // The pages in view that are not held: read them, those nearest the middle of the view first.
  useEffect(() => {
    want(store.missing(first, last, firstVisible + VISIBLE / 2));
  }, [store, first, last, version]);

  // A picked line: scroll so it sits in the middle of the box, and mark it.
  useEffect(() => {
    const el = box.current;
    if (!props.jump || !el) return;
    onFollow(false);
    setHit(props.jump.position);
    const wantedFirst = Math.max(0, props.jump.position - Math.floor(VISIBLE / 2));
    el.scrollTop = scaled ? (wantedFirst / Math.max(1, count - rowsInBox)) * Math.max(1, height - HEIGHT) : wantedFirst * ROW;
    setTop(el.scrollTop);
  }, [props.jump]);

  const rows = [];
  for (let n = first; n < last; n++) {
    const l = store.line(n);
    if (!l) {
      // The same elements as a line's (empty host and step): a page arriving fills them in place.
      rows.push(
        <div key={n % SLOTS} className="log-line text-body-tertiary" style={{ top: rowTop(n) }} data-testid="log-line-pending">
          <span className="log-host" />
          <span className="log-step" />…
        </div>,
      );
      continue;
    }
    const stream = STREAM_CODE[l.stream];
    rows.push(
      <div
        key={n % SLOTS}
        className={`log-line ${stream === 1 ? "text-danger" : stream === 2 ? "text-info" : ""} ${hit === n ? "bg-warning-subtle" : ""}`}
        style={{ top: rowTop(n) }}
        data-testid="log-line"
        data-stream={STREAM_NAMES[stream]}
        data-seq={l.seq}
      >
        <span className="log-host">{hostName.get(l.ordinal) ?? `#${l.ordinal}`}</span>
        <span className="log-step">{l.stepId}</span>
        {l.text}
      </div>,
    );
  }

  return (
    <div
      ref={box}
      className="log-box font-monospace"
      style={{ height: HEIGHT }}
      onScroll={(e) => {
        const el = e.currentTarget;
        setTop(el.scrollTop);
        const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
        if (atEnd !== follow) onFollow(atEnd);
      }}
      data-testid="log-box"
    >
      <div className="log-rows" style={{ height }}>
        {rows}
      </div>
      {store.ready && count === 0 && (
        <div className="p-2 text-body-secondary small">{store.complete ? "No output." : "Waiting for output…"}</div>
      )}
    </div>
  );
});

const LogToolbar = memo(function LogToolbar(props: {
  runId: string;
  store: LogStore;
  hosts: Host[];
  steps: string[];
  ordinal?: number;
  step?: string;
  onFilter: (f: Filter) => void;
  search: string;
  onSearch: (search: string) => void;
  query: string;
  follow: boolean;
  onFollow: (follow: boolean | ((f: boolean) => boolean)) => void;
}) {
  const { store } = props;
  // What the count says, not the store's version: a page read scrolled into view changes nothing here.
  useSyncExternalStore(store.subscribe, store.getStatus);
  const count = store.total;
  const shown = new URLSearchParams();
  if (props.ordinal !== undefined) shown.set("ordinal", String(props.ordinal));
  if (props.step) shown.set("step", props.step);
  if (props.query) shown.set("q", props.query);
  return (
    <div className="card-header d-flex flex-wrap gap-2 align-items-center">
      <HostFilter hosts={props.hosts} ordinal={props.ordinal} step={props.step} onFilter={props.onFilter} />
      <select
        className="form-select form-select-sm"
        style={{ maxWidth: 180 }}
        aria-label="Step"
        value={props.step ?? ""}
        onChange={(e) => props.onFilter({ ordinal: props.ordinal, step: e.target.value || undefined })}
        data-testid="log-step-filter"
      >
        <option value="">All steps</option>
        {props.steps.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
      <div style={{ maxWidth: 260 }}>
        <SearchBox value={props.search} onChange={props.onSearch} placeholder="Search output" label="Search output" />
      </div>
      <button
        type="button"
        className={`btn btn-sm ${props.follow ? "btn-primary" : "btn-outline-secondary"} d-flex align-items-center gap-1`}
        aria-pressed={props.follow}
        onClick={() => props.onFollow((f) => !f)}
        data-testid="log-follow"
      >
        {props.follow ? <Pause size={14} /> : <Play size={14} />} Follow
      </button>
      <span className="small text-body-secondary ms-auto" data-testid="log-count">
        {store.ready ? `${count.toLocaleString()} line${count === 1 ? "" : "s"}` : "Reading the last lines…"}
        {!store.complete && " · live"}
      </span>
      <span className="btn-group btn-group-sm">
        <a
          className="btn btn-outline-secondary d-flex align-items-center gap-1"
          href={`/api/runs/${props.runId}/output.txt`}
          download
          data-testid="log-download"
        >
          <Download size={14} /> Run
        </a>
        {props.ordinal !== undefined && (
          <a
            className="btn btn-outline-secondary"
            href={`/api/runs/${props.runId}/output.txt?ordinal=${props.ordinal}`}
            download
            data-testid="log-download-host"
          >
            This host
          </a>
        )}
        {(props.step || props.query) && (
          <a
            className="btn btn-outline-secondary"
            href={`/api/runs/${props.runId}/output.txt?${shown.toString()}`}
            download
            data-testid="log-download-shown"
          >
            Lines shown
          </a>
        )}
      </span>
    </div>
  );
});

/** The host filter: one option per host of the run (a thousand of them), rendered when the hosts or the choice change. */
const HostFilter = memo(function HostFilter(props: { hosts: Host[]; ordinal?: number; step?: string; onFilter: (f: Filter) => void }) {
  return (
    <select
      className="form-select form-select-sm"
      style={{ maxWidth: 220 }}
      aria-label="Host"
      value={props.ordinal ?? ""}
      onChange={(e) => props.onFilter({ ordinal: e.target.value === "" ? undefined : Number(e.target.value), step: props.step })}
      data-testid="log-host-filter"
    >
      <option value="">All hosts</option>
      {props.hosts.map((h) => (
        <option key={h.ordinal} value={h.ordinal}>
          {h.name}
        </option>
      ))}
    </select>
  );
});
