import type { OutputLine } from "@ops/domain/schemas/automation-runs";
import { useEffect, useRef, useState } from "react";
import { trpcClient } from "../../app/trpc";
import { LoadError } from "../../components/states";
import type { LogStore } from "./log-store";

const RESULTS = 100;

/**
 * Lines of the whole run containing `query` (within the host and step filters), found by
 * the server (`runs.output` with `query`), not among the lines the page happens to hold:
 * a 2M-line run is searched whole. While the run is live, lines arriving after the search
 * that match join the results: the store's live lines are watched from before the search
 * is sent, so a line is either in the server's answer or among those (kept once, by seq).
 * A click on a result shows that line in the log.
 */
export function SearchResults(props: {
  runId: string;
  /** The log's lines (same filter): its live lines are searched as they arrive. */
  store: LogStore;
  query: string;
  ordinal?: number;
  step?: string;
  hostName: Map<number, string>;
  onPick: (line: OutputLine) => void;
}) {
  const [found, setFound] = useState<{ lines: OutputLine[]; lastSeq: number; more: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [picked, setPicked] = useState<number | null>(null);
  // Each new search (or filter) makes the answers of the reads before it stale.
  const generation = useRef(0);
  const input = { runId: props.runId, query: props.query, ordinal: props.ordinal, stepId: props.step, limit: RESULTS };

  /** Live lines that match, seen since this search started (before its answer came back too). */
  const liveHits = useRef<OutputLine[]>([]);

  const readFrom = async (afterSeq: number, before: OutputLine[]) => {
    const mine = generation.current;
    const stale = () => generation.current !== mine;
    setBusy(true);
    try {
      const page = await trpcClient.automation.runs.output.query({ ...input, afterSeq });
      if (stale()) return;
      const more = page.lines.length === RESULTS;
      // All matches up to now are in: the live ones past the last of them follow.
      const lines = more ? [...before, ...page.lines] : withLive([...before, ...page.lines], liveHits.current);
      setFound({ lines, lastSeq: lines.at(-1)?.seq ?? page.lastSeq, more });
      setError(null);
    } catch (e) {
      if (!stale()) setError(e);
    } finally {
      if (!stale()) setBusy(false);
    }
  };
  useEffect(() => {
    generation.current++;
    liveHits.current = [];
    setFound(null);
    setPicked(null);
    const needle = props.query.toLowerCase();
    // Watched before the search is sent: nothing written in between is missed.
    const unwatch = props.store.onAppend((lines) => {
      const hits = lines.filter((l) => l.text.toLowerCase().includes(needle));
      if (!hits.length) return;
      liveHits.current = [...liveHits.current, ...hits];
      // Shown now only when the results already reach the end (no "More matches" pending).
      setFound((f) => (f && !f.more ? { ...f, lines: withLive(f.lines, hits), lastSeq: Math.max(f.lastSeq, hits.at(-1)!.seq) } : f));
    });
    void readFrom(0, []);
    return unwatch;
  }, [props.runId, props.store, props.query, props.ordinal, props.step]);

  const lines = found?.lines ?? [];
  return (
    <div className="border-bottom" data-testid="search-results">
      <div className="small px-2 py-1 text-body-secondary" data-testid="search-count">
        {found === null
          ? "Searching the whole run…"
          : `${lines.length.toLocaleString()}${found.more ? "+" : ""} line${lines.length === 1 ? "" : "s"} match "${props.query}"`}
      </div>
      {error != null && <LoadError error={error} />}
      {lines.length > 0 && (
        <div className="font-monospace small" style={{ maxHeight: 180, overflowY: "auto" }}>
          {lines.map((l) => (
            <button
              key={l.seq}
              type="button"
              className={`d-block w-100 text-start border-0 px-2 py-0 text-truncate ${picked === l.seq ? "bg-warning-subtle" : "bg-transparent"}`}
              onClick={() => (setPicked(l.seq), props.onPick(l))}
              title={`Line ${l.seq}: show it in the log`}
              data-testid="search-result"
              data-seq={l.seq}
            >
              <span className="log-host">{props.hostName.get(l.ordinal) ?? `#${l.ordinal}`}</span>
              <span className="log-step">{l.stepId}</span>
              <span className="text-body-secondary me-2">#{l.seq}</span>
              {l.text}
            </button>
          ))}
          {found?.more && (
            <button
              type="button"
              className="btn btn-link btn-sm"
              disabled={busy}
              onClick={() => void readFrom(found.lastSeq, lines)}
              data-testid="search-more"
            >
              More matches
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** `lines` followed by the live `hits` after its last one (a hit the server also found is kept once). */
function withLive(lines: OutputLine[], hits: readonly OutputLine[]): OutputLine[] {
  const after = lines.at(-1)?.seq ?? 0;
  const newer = hits.filter((h) => h.seq > after);
  return newer.length ? [...lines, ...newer] : lines;
}
