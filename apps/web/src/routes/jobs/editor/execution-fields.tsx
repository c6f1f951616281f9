import type { FieldErrors } from "../../../app/errors";
import type { Draft } from "./job-draft";

const num = (s: string) => (s === "" ? null : Number(s));

/** Parallelism, failure threshold, run timeout and exclusive mode. */
export function ExecutionFields(props: { draft: Draft; errors: FieldErrors; onChange: (patch: Partial<Draft>) => void }) {
  const { draft, errors } = props;
  const threshold = draft.failureThreshold ?? null;
  const err = (prefix: string) => {
    const m = Object.entries(errors)
      .filter(([k]) => k.startsWith(prefix))
      .flatMap(([, v]) => v);
    return m.length ? <div className="invalid-feedback d-block">{m.join(" ")}</div> : null;
  };
  return (
    <section className="mb-4">
      <h2 className="h5">Execution</h2>
      <div className="row g-2">
        <div className="col-6 col-md-3">
          <label className="form-label small" htmlFor="job-parallelism">
            Hosts at once
          </label>
          <input
            id="job-parallelism"
            type="number"
            min={1}
            className="form-control"
            value={draft.parallelism ?? 20}
            onChange={(e) => props.onChange({ parallelism: Number(e.target.value) })}
          />
          {err("parallelism")}
        </div>
        <div className="col-6 col-md-3">
          <label className="form-label small" htmlFor="job-threshold-kind">
            Stop new hosts after failures
          </label>
          <div className="input-group">
            <select
              id="job-threshold-kind"
              className="form-select"
              value={threshold?.kind ?? ""}
              onChange={(e) =>
                props.onChange({
                  failureThreshold:
                    e.target.value === "" ? null : { kind: e.target.value as "count" | "percent", value: threshold?.value ?? 0 },
                })
              }
            >
              <option value="">never</option>
              <option value="count">more than N hosts</option>
              <option value="percent">more than N %</option>
            </select>
            {threshold && (
              <input
                type="number"
                aria-label="Failure threshold"
                className="form-control"
                value={threshold.value}
                onChange={(e) => props.onChange({ failureThreshold: { ...threshold, value: Number(e.target.value) } })}
              />
            )}
          </div>
          {err("failureThreshold")}
        </div>
        <div className="col-6 col-md-3">
          <label className="form-label small" htmlFor="job-timeout">
            Run timeout (s)
          </label>
          <input
            id="job-timeout"
            type="number"
            min={1}
            className="form-control"
            placeholder="none"
            value={draft.timeoutSeconds ?? ""}
            onChange={(e) => props.onChange({ timeoutSeconds: num(e.target.value) })}
          />
          {err("timeoutSeconds")}
        </div>
        <div className="col-6 col-md-3">
          <label className="form-label small" htmlFor="job-exclusive">
            Exclusive hosts
          </label>
          <select
            id="job-exclusive"
            className="form-select"
            value={draft.exclusive ?? "off"}
            onChange={(e) => props.onChange({ exclusive: e.target.value as Draft["exclusive"] })}
          >
            <option value="off">off</option>
            <option value="queue">wait for other runs</option>
            <option value="skip">skip busy hosts</option>
          </select>
        </div>
      </div>
    </section>
  );
}
