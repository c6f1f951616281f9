import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { FolderTree, Plus } from "lucide-react";
import { useState } from "react";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { useGroupOptions, type FlatGroup } from "../../components/asset-pickers";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { Empty, LoadError, Loading } from "../../components/states";
import { GroupModal } from "./group-modal";

export function GroupsPage() {
  const me = useMe();
  const canManage = allows(me, "targets.manage");
  const queryClient = useQueryClient();
  const groups = useGroupOptions();
  const [editing, setEditing] = useState<{ group?: FlatGroup; parentId?: string | null } | null>(null);
  const [deleting, setDeleting] = useState<FlatGroup | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = async () => {
    await queryClient.invalidateQueries(trpc.assets.groups.pathFilter());
    await queryClient.invalidateQueries(trpc.assets.targets.pathFilter());
  };
  const remove = useMutation(
    trpc.assets.groups.delete.mutationOptions({
      onSuccess: () => (setDeleting(null), refresh()),
      onError: (e) => (setDeleting(null), setError(describeError(e))),
    }),
  );

  return (
    <div>
      <div className="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-3">
        <h1 className="h3 mb-0">Groups</h1>
        {canManage && (
          <button
            type="button"
            className="btn btn-primary d-flex align-items-center gap-1"
            onClick={() => setEditing({})}
            data-testid="create-group"
          >
            <Plus size={18} /> New group
          </button>
        )}
      </div>
      {error && (
        <div className="alert alert-danger alert-dismissible" role="alert">
          {error}
          <button type="button" className="btn-close" aria-label="Dismiss" onClick={() => setError(null)} />
        </div>
      )}
      {groups.isPending ? (
        <Loading />
      ) : groups.isError ? (
        <LoadError error={groups.error} />
      ) : groups.nodes.length === 0 ? (
        <Empty>No groups yet. Groups nest; a target in a child group counts in every ancestor.</Empty>
      ) : (
        <ul className="list-group" data-testid="groups-tree">
          {groups.nodes.map((g) => (
            <li key={g.id} className="list-group-item d-flex flex-wrap align-items-center gap-2" data-testid="group-row">
              <span className="d-flex align-items-center gap-2 flex-grow-1" style={{ paddingLeft: g.depth * 20, minWidth: 0 }}>
                <FolderTree size={16} className="text-body-secondary flex-shrink-0" aria-hidden="true" />
                <Link to="/targets" search={{ groupId: g.id }} className="fw-medium text-truncate">
                  {g.name}
                </Link>
                <span className="badge text-bg-light border" title={`${g.directTargets} directly in this group`}>
                  {g.totalTargets} target{g.totalTargets === 1 ? "" : "s"}
                </span>
                {g.description && <span className="small text-body-secondary text-truncate d-none d-md-inline">{g.description}</span>}
              </span>
              {canManage && (
                <span className="d-flex gap-1">
                  <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setEditing({ parentId: g.id })}>
                    Add child
                  </button>
                  <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setEditing({ group: g })}>
                    Edit
                  </button>
                  <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => setDeleting(g)}>
                    Delete
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <GroupModal group={editing.group} parentId={editing.parentId} onClose={() => setEditing(null)} onSaved={() => void refresh()} />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete group"
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          onClose={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ id: deleting.id })}
        >
          <p className="mb-0">
            Delete <strong>{deleting.name}</strong>? Its targets stay (they only leave the group); its child groups move up to its parent.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
