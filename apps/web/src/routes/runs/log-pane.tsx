import { Download, Pause, Play } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";
import { SearchBox } from "../../components/search-box";
import { STREAM_NAMES, type LogStore } from "./log-store";
import { downloadLog } from "./download-log";

const ROW = 18;
const HEIGHT = 480;
const OVERSCAN = 20;

/**
 * The run's log, virtualised: only the rows in view (plus a margin) are in the DOM, so a
 * million lines scroll like a hundred. Follow mode keeps the newest line in view and
 * pauses as soon as the user scrolls up; scrolling back to the end resumes it.
 */
export function LogPane(props: {
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

  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(count, Math.ceil((top + HEIGHT) / ROW) + OVERSCAN);
  const rows = [];
  for (let n = first; n < last; n++) {
    const i = view.at(n);
    const stream = store.stream[i]!;
    rows.push(
      <div
        key={n}
        className={`log-line ${stream === 1 ? "text-danger" : stream === 2 ? "text-info" : ""}`}
        style={{ top: n * ROW }}
        data-testid="log-line"
        data-stream={STREAM_NAMES[stream]}
      >
        <span className="log-host">{hostName.get(store.ordinal[i]!) ?? `#${store.ordinal[i]}`}</span>
        <span className="log-step">{store.step[i]}</span>
        {store.text[i]}
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
          {!store.complete && " · live"}
        </span>
        <button
          type="button"
          className="btn btn-sm btn-outline-secondary d-flex align-items-center gap-1"
          onClick={() => downloadLog(store, view, count, hostName)}
          data-testid="log-download"
        >
          <Download size={14} /> {props.ordinal === undefined && !props.step && !query ? "Download" : "Download shown"}
        </button>
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
        <div style={{ height: count * ROW, position: "relative" }}>{rows}</div>
        {count === 0 && <div className="p-2 text-body-secondary small">{store.complete ? "No output." : "Waiting for output…"}</div>}
      </div>
    </div>
  );
}
