import type { Severity } from "@ops/domain/communication/event-meta";

/** Bootstrap colour per event severity: the bell, the notifications page and the event pickers agree. */
export const SEVERITY_TONE: Record<Severity, string> = {
  info: "info",
  warning: "warning",
  error: "danger",
  critical: "danger",
};

export function SeverityBadge({ severity }: { severity: Severity }) {
  const tone = SEVERITY_TONE[severity] ?? "secondary";
  return (
    <span
      className={`badge text-bg-${tone} ${severity === "critical" ? "border border-dark" : ""}`}
      data-testid="severity"
      data-severity={severity}
    >
      {severity}
    </span>
  );
}
