import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { FolderTree } from "lucide-react";
import { useState } from "react";
import { fetchFresh } from "../../app/fetch-fresh";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useMe } from "../../app/use-me";
import { flattenGroups, useGroupOptions, type FlatGroup } from "../../components/asset-pickers";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { DismissibleError } from "../../components/dismissible-error";
import { FreshEdit } from "../../components/fresh-edit";
import { CreateButton, PageHeader } from "../../components/page-header";
import { QueryStates } from "../../components/query-states";
import { RunCommandDialog } from "../../components/run-command-dialog";
import { TestBatchProgress } from "../../components/test-batch-progress";
import { GroupModal } from "./group-modal";

export function GroupsPage() {
  const me = useMe();
  const canManage = allows(me, "targets.manage");
  const canTest = allows(me, "targets.test");
  const canRun = allows(me, "runs.start");
  const [commanding, setCommanding] = useState<FlatGroup | null>(null);
  const [testing, setTesting] = useState<{ groupId: string; batchId: string } | null>(null);
  const queryClient = useQueryClient();
  const groups = useGroupOptions();
  const [editing, setEditing] = useState<{ group?: FlatGroup; parentId?: string | null } | null>(null);
  const [deleting, setDeleting] = useState<FlatGroup | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.assets.pathFilter());
  /** The group as the server has it now, not as the tree was when the page loaded. */
  const loadGroup = async (id: string) => {
    const tree = await fetchFresh(queryClient, trpc.assets.groups.list.queryOptions());
    const group = flattenGroups(tree).find((g) => g.id === id);
    if (!group) throw new Error("This group no longer exists.");
    return group;
  };
  const test = useMutation(trpc.assets.connectionTests.start.mutationOptions({ onError: (e) => setError(describeError(e)) }));
  const remove = useMutation(
    trpc.assets.groups.delete.mutationOptions({
      onSuccess: () => (setDeleting(null), refresh()),
      onError: (e) => (setDeleting(null), setError(describeError(e))),
    }),
  );

  return (
    <div>
      <PageHeader title="Groups">
        {canManage && (
          <CreateButton onClick={() => setEditing({})} testId="create-group">
            New group
          </CreateButton>
        )}
      </PageHeader>
      <DismissibleError error={error} onDismiss={() => setError(null)} />
      <QueryStates
        query={groups}
        isEmpty={() => groups.nodes.length === 0}
        empty="No groups yet. Groups nest; a target in a child group counts in every ancestor."
      >
        {() => (
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
                {(canManage || canTest || canRun) && (
                  <span className="d-flex gap-1">
                    {canTest && g.totalTargets > 0 && (
                      <button
                        type="button"
                        className="btn btn-sm btn-outline-primary"
                        disabled={test.isPending}
                        onClick={() => {
                          setError(null);
                          test.mutate(
                            { filter: { groupId: g.id } },
                            { onSuccess: (r) => setTesting({ groupId: g.id, batchId: r.batchId }) },
                          );
                        }}
                        title="Test the connection to every target in this group and its child groups"
                      >
                        Test
                      </button>
                    )}
                    {canRun && g.totalTargets > 0 && (
                      <button
                        type="button"
                        className="btn btn-sm btn-outline-primary"
                        onClick={() => setCommanding(g)}
                        data-testid="group-run-command"
                      >
                        Run command
                      </button>
                    )}
                    {canManage && (
                      <>
                        <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setEditing({ parentId: g.id })}>
                          Add child
                        </button>
                        <button type="button" className="btn btn-sm btn-outline-secondary" onClick={() => setEditing({ group: g })}>
                          Edit
                        </button>
                        <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => setDeleting(g)}>
                          Delete
                        </button>
                      </>
                    )}
                  </span>
                )}
                {testing?.groupId === g.id && (
                  <div className="w-100" style={{ paddingLeft: g.depth * 20 }}>
                    <TestBatchProgress batchId={testing.batchId} onFinished={() => void refresh()} listFailures />
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </QueryStates>
      {editing?.group ? (
        <FreshEdit title={`Edit ${editing.group.name}`} load={() => loadGroup(editing.group!.id)} onClose={() => setEditing(null)}>
          {(fresh, reload) => (
            <GroupModal group={fresh} onReload={reload} onClose={() => setEditing(null)} onSaved={() => void refresh()} />
          )}
        </FreshEdit>
      ) : (
        editing && <GroupModal parentId={editing.parentId} onClose={() => setEditing(null)} onSaved={() => void refresh()} />
      )}
      {commanding && (
        <RunCommandDialog
          targets={{ filter: { groupId: commanding.id, labels: [], status: [] }, count: commanding.totalTargets }}
          onClose={() => setCommanding(null)}
        />
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
