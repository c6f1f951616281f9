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

/** [22, 2222, 2223, 2224] -> "22, 2222-2224": a port range stays one range when shown. */
export function describePorts(ports: number[]): string {
  const sorted = [...ports].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(", ");
}
