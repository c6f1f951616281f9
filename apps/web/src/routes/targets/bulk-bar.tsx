import type { TargetFilters } from "@ops/domain/schemas/assets-targets";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { CredentialSelect, GroupSelect } from "../../components/asset-pickers";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { RunCommandDialog } from "../../components/run-command-dialog";
import { parseLabel } from "../../components/labels-editor";
import { TestBatchProgress } from "../../components/test-batch-progress";

type Action = "addLabels" | "removeLabels" | "addGroups" | "removeGroups" | "setCredential";

/** Chosen rows by id, or every target matching the filter (chosen on the server, beyond the page). */
export type BulkSelection = { ids: string[] } | { filter: TargetFilters };

/** "" leaves a credential as it is, "none" clears it, anything else is the credential's id. */
function credentialChange(value: string): string | null | undefined {
  if (value === "") return undefined;
  return value === "none" ? null : value;
}
const CLEAR = [{ value: "none", label: "None (remove it)" }];

/** What to do with the selected targets: labels, groups, credentials, test, delete. */
export function BulkBar(props: {
  selection: BulkSelection;
  count: number;
  canManage: boolean;
  canTest: boolean;
  canRun?: boolean;
  onDone: () => void;
  onClear: () => void;
}) {
  const [mode, setMode] = useState<Action | null>(null);
  const [label, setLabel] = useState("");
  const [groupId, setGroupId] = useState("");
  const [credential, setCredential] = useState("");
  const [become, setBecome] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [batchId, setBatchId] = useState<string | null>(null);
  const [commanding, setCommanding] = useState(false);
  const targets = `${props.count} target${props.count === 1 ? "" : "s"}`;

  const bulk = useMutation(
    trpc.assets.targets.bulk.mutationOptions({
      onSuccess: (r, input) => {
        setNotice(`${input.action === "delete" ? "Deleted" : "Changed"} ${r.changed} of ${r.matched} target(s).`);
        setMode(null);
        setLabel("");
        setGroupId("");
        setCredential("");
        setBecome("");
        setConfirmDelete(false);
        if (input.action === "delete") props.onClear();
        props.onDone();
      },
      onError: (e) => setError(describeError(e)),
    }),
  );
  const test = useMutation(
    trpc.assets.connectionTests.start.mutationOptions({
      onSuccess: (r) => setBatchId(r.batchId),
      onError: (e) => setError(describeError(e)),
    }),
  );
  const sel = props.selection;

  const apply = () => {
    setError(null);
    setNotice(null);
    if (mode === "addLabels") {
      if (!parseLabel(label)) return setError("Write the label as key=value.");
      return bulk.mutate({ ...sel, action: "addLabels", labels: [label.trim()] });
    }
    if (mode === "removeLabels") {
      if (!label.trim()) return setError("Name the label to remove: key, or key=value.");
      return bulk.mutate({ ...sel, action: "removeLabels", labels: [label.trim()] });
    }
    if (mode === "addGroups" || mode === "removeGroups") {
      if (!groupId) return setError("Choose a group.");
      return bulk.mutate({ ...sel, action: mode, groupIds: [groupId] });
    }
    if (mode === "setCredential") {
      const credentialId = credentialChange(credential);
      const becomeCredentialId = credentialChange(become);
      if (credentialId === undefined && becomeCredentialId === undefined) return setError("Choose a credential or a become credential.");
      return bulk.mutate({ ...sel, action: "setCredential", credentialId, becomeCredentialId });
    }
  };

  return (
    <div className="card border-primary-subtle mb-3" data-testid="bulk-bar">
      <div className="card-body py-2">
        <div className="d-flex flex-wrap align-items-center gap-2">
          <span className="fw-medium me-2" data-testid="bulk-count">
            {"filter" in sel ? `All ${props.count} matching` : `${props.count} selected`}
          </span>
          {props.canManage && (
            <>
              <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setMode("addLabels")}>
                Add label
              </button>
              <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setMode("removeLabels")}>
                Remove label
              </button>
              <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setMode("addGroups")}>
                Add to group
              </button>
              <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setMode("removeGroups")}>
                Remove from group
              </button>
              <button
                type="button"
                className="btn btn-sm btn-outline-secondary"
                onClick={() => setMode("setCredential")}
                data-testid="bulk-set-credential"
              >
                Set credential
              </button>
            </>
          )}
          {props.canTest && (
            <button
              type="button"
              className="btn btn-sm btn-outline-primary"
              disabled={test.isPending}
              onClick={() => (setError(null), test.mutate("filter" in sel ? { filter: sel.filter } : { targetIds: sel.ids }))}
              data-testid="bulk-test"
            >
              Test {"filter" in sel ? "all matching" : "selected"}
            </button>
          )}
          {props.canRun && (
            <button
              type="button"
              className="btn btn-sm btn-outline-primary"
              onClick={() => setCommanding(true)}
              data-testid="bulk-run-command"
            >
              Run command
            </button>
          )}
          {props.canManage && (
            <button
              type="button"
              className="btn btn-sm btn-outline-danger"
              onClick={() => setConfirmDelete(true)}
              data-testid="bulk-delete"
            >
              Delete
            </button>
          )}
          <button type="button" className="btn btn-sm btn-link ms-auto" onClick={props.onClear}>
            Clear selection
          </button>
        </div>
        {mode && (
          <div className="d-flex flex-wrap gap-2 mt-2">
            {mode === "addLabels" || mode === "removeLabels" ? (
              <input
                className="form-control form-control-sm"
                style={{ maxWidth: 260 }}
                aria-label={mode === "addLabels" ? "Label to add (key=value)" : "Label key to remove"}
                placeholder={mode === "addLabels" ? "e.g. env=prod" : "e.g. env or env=prod"}
                value={label}
                onChange={(e) => setLabel(e.target.value)}
                onKeyDown={(e) => e.key === "Enter" && apply()}
              />
            ) : mode === "setCredential" ? (
              <>
                <div style={{ maxWidth: 260 }}>
                  <CredentialSelect
                    id="bulk-credential"
                    ariaLabel="Credential"
                    className="form-select form-select-sm"
                    value={credential}
                    onChange={setCredential}
                    kinds={["ssh_key", "ssh_password"]}
                    emptyLabel="Credential: leave as is"
                    extraOptions={CLEAR}
                  />
                </div>
                <div style={{ maxWidth: 260 }}>
                  <CredentialSelect
                    id="bulk-become"
                    ariaLabel="Become credential"
                    className="form-select form-select-sm"
                    value={become}
                    onChange={setBecome}
                    kinds={["become_password", "ssh_password"]}
                    emptyLabel="Become: leave as is"
                    extraOptions={CLEAR}
                  />
                </div>
              </>
            ) : (
              <div style={{ maxWidth: 260 }}>
                <GroupSelect
                  id="bulk-group"
                  className="form-select form-select-sm"
                  value={groupId}
                  onChange={setGroupId}
                  emptyLabel="Choose a group"
                />
              </div>
            )}
            <button type="button" className="btn btn-sm btn-primary" disabled={bulk.isPending} onClick={apply} data-testid="bulk-apply">
              Apply to {targets}
            </button>
            <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setMode(null)}>
              Cancel
            </button>
          </div>
        )}
        {error && <div className="text-danger small mt-2">{error}</div>}
        {notice && (
          <div className="text-success small mt-2" data-testid="bulk-notice">
            {notice}
          </div>
        )}
        {batchId && (
          <div className="mt-2">
            <TestBatchProgress batchId={batchId} onFinished={props.onDone} listFailures />
          </div>
        )}
      </div>
      {commanding && (
        <RunCommandDialog
          targets={"filter" in sel ? { filter: sel.filter, count: props.count } : { ids: sel.ids }}
          onClose={() => setCommanding(false)}
        />
      )}
      {confirmDelete && (
        <ConfirmDialog
          title="Delete targets"
          confirmLabel={`Delete ${targets}`}
          danger
          busy={bulk.isPending}
          onClose={() => setConfirmDelete(false)}
          onConfirm={() => bulk.mutate({ ...sel, action: "delete" })}
        >
          <p className="mb-0">
            Delete {"filter" in sel ? `all ${targets} matching the filter` : `${targets} selected`}? Their test history and relationships go
            too.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
