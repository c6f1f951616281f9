import { Download, Pause, Play } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";
import { SearchBox } from "../../components/search-box";
import { STREAM_NAMES, type LogStore } from "./log-store";
import { downloadLog } from "./download-log";

const ROW = 18;
const HEIGHT = 480;
const OVERSCAN = 20;
/** Browsers cap an element's height (Chromium near 33.5M px); past this, scroll position maps to lines proportionally. */
const MAX_PX = 15_000_000;

/**
 * The run's log, virtualised: only the rows in view (plus a margin) are in the DOM, so a
 * million lines scroll like a hundred. Follow mode keeps the newest line in view and
 * pauses as soon as the user scrolls up; scrolling back to the end resumes it.
 */
export function LogPane(props: {
  runId: string;
  store: LogStore;
  version: number;
  hosts: { ordinal: number; name: string }[];
  steps: string[];
  ordinal?: number;
  step?: string;
  onFilter: (f: { ordinal?: number; step?: string }) => void;
}) {
  const { store } = props;
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQuery(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const view = useMemo(
    () => store.view({ ordinal: props.ordinal, step: props.step, text: query }),
    [store, props.ordinal, props.step, query],
  );
  const count = view.count();
  void props.version; // re-rendered on every new batch; count() scans only the new lines
  const [follow, setFollow] = useState(true);
  const [top, setTop] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const hostName = useMemo(() => new Map(props.hosts.map((h) => [h.ordinal, h.name])), [props.hosts]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [follow, count]);
  // Earlier lines read in behind a big run's tail land above what the user is reading: keep it in place.
  const headCount = view.headCount();
  const seenHead = useRef({ view, headCount });
  useEffect(() => {
    const before = seenHead.current;
    seenHead.current = { view, headCount };
    if (before.view !== view || follow || !box.current || count * ROW > MAX_PX) return;
    box.current.scrollTop += (headCount - before.headCount) * ROW;
  }, [view, headCount]);

  const visible = Math.ceil(HEIGHT / ROW);
  const scaled = count * ROW > MAX_PX;
  const height = scaled ? MAX_PX : count * ROW;
  const firstVisible = scaled ? Math.round((top / Math.max(1, height - HEIGHT)) * Math.max(0, count - visible)) : Math.floor(top / ROW);
  const first = Math.max(0, firstVisible - OVERSCAN);
  const last = Math.min(count, firstVisible + visible + OVERSCAN);
  const rowTop = (n: number) => (scaled ? top + (n - firstVisible) * ROW : n * ROW);
  const rows = [];
  for (let n = first; n < last; n++) {
    const i = view.at(n);
    const stream = store.stream(i);
    rows.push(
      <div
        key={n}
        className={`log-line ${stream === 1 ? "text-danger" : stream === 2 ? "text-info" : ""}`}
        style={{ top: rowTop(n) }}
        data-testid="log-line"
        data-stream={STREAM_NAMES[stream]}
      >
        <span className="log-host">{hostName.get(store.ordinal(i)) ?? `#${store.ordinal(i)}`}</span>
        <span className="log-step">{store.step(i)}</span>
        {store.text(i)}
      </div>,
    );
  }

  return (
    <div className="card mb-3" data-testid="log-pane">
      <div className="card-header d-flex flex-wrap gap-2 align-items-center">
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
          <SearchBox value={search} onChange={setSearch} placeholder="Search output" label="Search output" />
        </div>
        <button
          type="button"
          className={`btn btn-sm ${follow ? "btn-primary" : "btn-outline-secondary"} d-flex align-items-center gap-1`}
          aria-pressed={follow}
          onClick={() => setFollow((f) => !f)}
          data-testid="log-follow"
        >
          {follow ? <Pause size={14} /> : <Play size={14} />} Follow
        </button>
        <span className="small text-body-secondary ms-auto" data-testid="log-count">
          {count.toLocaleString()} line{count === 1 ? "" : "s"}
          {store.backfilling && (query ? " · searching the lines read so far" : " · reading earlier lines")}
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
          {(props.step || query) && (
            <button
              type="button"
              className="btn btn-outline-secondary"
              onClick={() => downloadLog(store, view, count, hostName)}
              data-testid="log-download-shown"
            >
              Lines shown
            </button>
          )}
        </span>
      </div>
      <div
        ref={box}
        className="log-box font-monospace"
        style={{ height: HEIGHT }}
        onScroll={(e) => {
          const el = e.currentTarget;
          setTop(el.scrollTop);
          const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
          if (atEnd !== follow) setFollow(atEnd);
        }}
        data-testid="log-box"
      >
        <div style={{ height, position: "relative", overflow: "hidden" }}>{rows}</div>
        {count === 0 && <div className="p-2 text-body-secondary small">{store.complete ? "No output." : "Waiting for output…"}</div>}
      </div>
    </div>
  );
}
