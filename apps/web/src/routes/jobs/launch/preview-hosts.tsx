import type { PreviewResult } from "@ops/domain/schemas/automation-runs";

/** The exact hosts a launch would run on, and why any of them cannot. */
export function PreviewHosts({ preview }: { preview: PreviewResult }) {
  const blocked = preview.hosts.filter((h) => h.problem).length;
  return (
    <div className="card mb-3" data-testid="preview-hosts">
      <div className="card-header small">
        {preview.hosts.length} host{preview.hosts.length === 1 ? "" : "s"} ({preview.selector})
        {blocked > 0 && <span className="text-danger"> · {blocked} cannot run</span>}
      </div>
      <ul className="list-group list-group-flush" style={{ maxHeight: 320, overflowY: "auto" }}>
        {preview.hosts.map((h) => (
          <li key={h.targetId} className="list-group-item small d-flex flex-wrap gap-2" data-testid="preview-host">
            <span className="fw-medium">{h.name}</span>
            <span className="font-monospace text-body-secondary">{h.address}</span>
            {h.problem && <span className="text-danger ms-auto">{h.problem}</span>}
          </li>
        ))}
        {preview.hosts.length === 0 && <li className="list-group-item small text-body-secondary">No host matches.</li>}
      </ul>
    </div>
  );
}
