/** done/total with the passed (green) and failed (red) shares, for batches and scans. */
export function ProgressBar(props: { done: number; total: number; passed?: number; failed?: number; label?: string; testId?: string }) {
  const total = Math.max(props.total, 1);
  const passed = props.passed ?? (props.failed == null ? props.done : props.done - props.failed);
  const failed = props.failed ?? 0;
  const pct = (n: number) => `${Math.min(100, (n / total) * 100)}%`;
  return (
    <div data-testid={props.testId}>
      <div
        className="progress-stacked"
        role="progressbar"
        aria-label={props.label ?? "Progress"}
        aria-valuenow={props.done}
        aria-valuemin={0}
        aria-valuemax={props.total}
      >
        <div className="progress" style={{ width: pct(passed) }}>
          <div className="progress-bar bg-success" />
        </div>
        <div className="progress" style={{ width: pct(failed) }}>
          <div className="progress-bar bg-danger" />
        </div>
      </div>
      <div className="small text-body-secondary mt-1" data-testid={props.testId ? `${props.testId}-text` : undefined}>
        {props.done} / {props.total} done
        {props.passed != null && ` · ${props.passed} passed`}
        {props.failed != null && ` · ${props.failed} failed`}
      </div>
    </div>
  );
}
