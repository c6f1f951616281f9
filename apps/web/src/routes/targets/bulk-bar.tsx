import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { GroupSelect } from "../../components/asset-pickers";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { parseLabel } from "../../components/labels-editor";
import { TestBatchProgress } from "./test-batch-progress";

type Action = "addLabels" | "removeLabels" | "addGroups" | "removeGroups";

/** What to do with the selected targets: labels, groups, test, delete. */
export function BulkBar(props: { ids: string[]; canManage: boolean; canTest: boolean; onDone: () => void; onClear: () => void }) {
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<Action | null>(null);
  const [label, setLabel] = useState("");
  const [groupId, setGroupId] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [batchId, setBatchId] = useState<string | null>(null);

  const bulk = useMutation(
    trpc.assets.targets.bulk.mutationOptions({
      onSuccess: (r, input) => {
        setNotice(`${input.action === "delete" ? "Deleted" : "Changed"} ${r.changed} of ${r.selected} target(s).`);
        setMode(null);
        setLabel("");
        setGroupId("");
        setConfirmDelete(false);
        if (input.action === "delete") props.onClear();
        props.onDone();
        void queryClient.invalidateQueries(trpc.assets.groups.pathFilter());
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

  const apply = () => {
    setError(null);
    if (mode === "addLabels") {
      if (!parseLabel(label)) return setError("Write the label as key=value.");
      return bulk.mutate({ ids: props.ids, action: "addLabels", labels: [label.trim()] });
    }
    if (mode === "removeLabels") {
      if (!label.trim()) return setError("Name the label to remove: key, or key=value.");
      return bulk.mutate({ ids: props.ids, action: "removeLabels", labels: [label.trim()] });
    }
    if (mode === "addGroups" || mode === "removeGroups") {
      if (!groupId) return setError("Choose a group.");
      return bulk.mutate({ ids: props.ids, action: mode, groupIds: [groupId] });
    }
  };

  return (
    <div className="card border-primary-subtle mb-3" data-testid="bulk-bar">
      <div className="card-body py-2">
        <div className="d-flex flex-wrap align-items-center gap-2">
          <span className="fw-medium me-2">{props.ids.length} selected</span>
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
            </>
          )}
          {props.canTest && (
            <button
              type="button"
              className="btn btn-sm btn-outline-primary"
              disabled={test.isPending}
              onClick={() => test.mutate({ targetIds: props.ids })}
              data-testid="bulk-test"
            >
              Test selected
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
                placeholder={mode === "addLabels" ? "key=value" : "key or key=value"}
                value={label}
                onChange={(e) => setLabel(e.target.value)}
                onKeyDown={(e) => e.key === "Enter" && apply()}
              />
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
            <button type="button" className="btn btn-sm btn-primary" disabled={bulk.isPending} onClick={apply}>
              Apply
            </button>
            <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setMode(null)}>
              Cancel
            </button>
          </div>
        )}
        {error && <div className="text-danger small mt-2">{error}</div>}
        {notice && <div className="text-success small mt-2">{notice}</div>}
        {batchId && (
          <div className="mt-2">
            <TestBatchProgress batchId={batchId} onFinished={props.onDone} listFailures />
          </div>
        )}
      </div>
      {confirmDelete && (
        <ConfirmDialog
          title="Delete targets"
          confirmLabel={`Delete ${props.ids.length} target(s)`}
          danger
          busy={bulk.isPending}
          onClose={() => setConfirmDelete(false)}
          onConfirm={() => bulk.mutate({ ids: props.ids, action: "delete" })}
        >
          <p className="mb-0">Delete {props.ids.length} selected target(s)? Their test history and relationships go too.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
