import type { ScanView } from "@ops/domain/schemas/assets-discovery";
import { ProgressBar } from "../../components/progress-bar";

const LOOK: Record<ScanView["status"], string> = {
  queued: "text-bg-secondary",
  running: "text-bg-info",
  done: "text-bg-success",
  cancelled: "text-bg-warning",
  failed: "text-bg-danger",
};

export function isActive(scan: Pick<ScanView, "status">) {
  return scan.status === "queued" || scan.status === "running";
}

export function ScanStatusBadge({ scan }: { scan: Pick<ScanView, "status" | "cancelRequested"> }) {
  return (
    <span className={`badge ${LOOK[scan.status]}`} data-testid="scan-status">
      {scan.cancelRequested && scan.status === "running" ? "cancelling" : scan.status}
    </span>
  );
}

export function ScanProgress({ scan }: { scan: ScanView }) {
  return (
    <div style={{ minWidth: 140 }}>
      <ProgressBar done={scan.done} total={scan.total} label="Scan progress" />
      <div className="small text-body-secondary">{scan.found} found</div>
    </div>
  );
}
