import type { TargetSummary } from "@ops/domain/schemas/assets-targets";

type TargetStatus = TargetSummary["status"];

const LOOK: Record<TargetStatus, { label: string; cls: string }> = {
  unknown: { label: "Unknown", cls: "text-bg-secondary" },
  reachable: { label: "Reachable", cls: "text-bg-success" },
  unreachable: { label: "Unreachable", cls: "text-bg-danger" },
  auth_failed: { label: "Auth failed", cls: "text-bg-warning" },
  host_key_changed: { label: "Host key changed", cls: "text-bg-danger" },
};

export function statusLabel(status: TargetStatus) {
  return LOOK[status]?.label ?? status;
}

export function StatusBadge({ status }: { status: TargetStatus }) {
  const look = LOOK[status] ?? LOOK.unknown;
  return (
    <span className={`badge ${look.cls}`} data-testid="target-status">
      {look.label}
    </span>
  );
}
