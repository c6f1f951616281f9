import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { ArrowLeft, Pencil, PlugZap, Trash2 } from "lucide-react";
import { useState } from "react";
import { fetchFresh } from "../../app/fetch-fresh";
import { allows } from "../../app/access";
import { describeError } from "../../app/errors";
import { humanBytes, humanDuration } from "../../app/human-units";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { useMe } from "../../app/use-me";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { ErrorAlert } from "../../components/form";
import { FreshEdit } from "../../components/fresh-edit";
import { LabelChips } from "../../components/labels-editor";
import { LoadError, Loading } from "../../components/states";
import { HostKeyCard } from "./host-key-card";
import { RelationshipsCard } from "./relationships-card";
import { StatusBadge } from "../../components/status-badge";
import { TargetFormModal, targetFormValue } from "./target-form-modal";
import { TestBatchProgress } from "../../components/test-batch-progress";
import { TestHistory } from "./test-history";

const route = getRouteApi("/app/targets/$id");

export function TargetDetailPage() {
  const { id } = route.useParams();
  const me = useMe();
  const fmt = useFormatDate();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const target = useQuery(trpc.assets.targets.get.queryOptions({ id }));
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [batchId, setBatchId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = async () => {
    await queryClient.invalidateQueries(trpc.assets.targets.pathFilter());
    await queryClient.invalidateQueries(trpc.assets.connectionTests.pathFilter());
  };

  const test = useMutation(
    trpc.assets.connectionTests.start.mutationOptions({
      onSuccess: (r) => setBatchId(r.batchId),
      onError: (e) => setError(describeError(e)),
    }),
  );
  const remove = useMutation(
    trpc.assets.targets.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.assets.targets.pathFilter());
        await navigate({ to: "/targets" });
      },
      onError: (e) => setError(describeError(e)),
    }),
  );

  if (target.isPending) return <Loading />;
  if (target.isError) return <LoadError error={target.error} />;
  const t = target.data;
  const facts = t.facts ? readFacts(t.facts) : null;
  const canManage = allows(me, "targets.manage");

  return (
    <div>
      <Link to="/targets" className="small d-inline-flex align-items-center gap-1 mb-2">
        <ArrowLeft size={14} /> Targets
      </Link>
      <div className="d-flex flex-wrap align-items-center justify-content-between gap-2 mb-3">
        <div>
          <h1 className="h3 mb-0 text-break" data-testid="target-name">
            {t.name}
          </h1>
          <div className="font-monospace small text-body-secondary">
            {t.address}:{t.port}
          </div>
        </div>
        <div className="d-flex flex-wrap gap-2">
          {allows(me, "targets.test") && (
            <button
              type="button"
              className="btn btn-primary d-flex align-items-center gap-1"
              disabled={test.isPending}
              onClick={() => (setError(null), test.mutate({ targetIds: [t.id] }))}
              data-testid="test-connection"
            >
              <PlugZap size={18} /> Test connection
            </button>
          )}
          {canManage && (
            <>
              <button
                type="button"
                className="btn btn-outline-secondary d-flex align-items-center gap-1"
                onClick={() => setEditing(true)}
                data-testid="edit-target"
              >
                <Pencil size={16} /> Edit
              </button>
              <button type="button" className="btn btn-outline-danger d-flex align-items-center gap-1" onClick={() => setDeleting(true)}>
                <Trash2 size={16} /> Delete
              </button>
            </>
          )}
        </div>
      </div>
      <ErrorAlert error={error} />
      {batchId && (
        <div className="card mb-3">
          <div className="card-body">
            <TestBatchProgress batchId={batchId} onFinished={refresh} />
          </div>
        </div>
      )}

      <div className="row g-3">
        <div className="col-12 col-lg-6">
          <div className="card h-100">
            <div className="card-header fw-semibold">Status</div>
            <div className="card-body">
              <div className="d-flex align-items-center gap-2 mb-2">
                <StatusBadge status={t.status} />
                <span className="small text-body-secondary" data-testid="last-check">
                  {t.lastCheckedAt ? `checked ${fmt.dateTime(t.lastCheckedAt)}` : "never checked"}
                </span>
              </div>
              {t.statusMessage && <div className="small text-break">{t.statusMessage}</div>}
              <dl className="row small mb-0 mt-2">
                <dt className="col-5">OS family</dt>
                <dd className="col-7">{t.osFamily}</dd>
                <dt className="col-5">Credential</dt>
                <dd className="col-7">{t.credentialHidden ? <HiddenValue /> : (t.credential?.name ?? "none")}</dd>
                <dt className="col-5">Become credential</dt>
                <dd className="col-7">{t.credentialHidden ? <HiddenValue /> : (t.becomeCredential?.name ?? "none")}</dd>
                <dt className="col-5">Jump host</dt>
                <dd className="col-7">
                  {t.jumpHost ? (
                    <Link to="/targets/$id" params={{ id: t.jumpHost.id }}>
                      {t.jumpHost.name}
                    </Link>
                  ) : (
                    "none"
                  )}
                </dd>
                <dt className="col-5">Groups</dt>
                <dd className="col-7">{t.groups.length ? t.groups.map((g) => g.name).join(", ") : "none"}</dd>
                <dt className="col-5">Labels</dt>
                <dd className="col-7">
                  <LabelChips labels={t.labels} />
                </dd>
              </dl>
              {t.description && <p className="small mt-2 mb-0">{t.description}</p>}
            </div>
          </div>
        </div>
        <div className="col-12 col-lg-6">
          <div className="card h-100" data-testid="facts-card">
            <div className="card-header fw-semibold">Facts</div>
            <div className="card-body">
              {!facts ? (
                <div className="text-body-secondary small">No facts yet. A successful connection test gathers them.</div>
              ) : (
                <dl className="row small mb-0">
                  <dt className="col-5">Host name</dt>
                  <dd className="col-7 text-break" data-testid="fact-hostname">
                    {facts.hostname ?? "—"}
                  </dd>
                  <dt className="col-5">OS release</dt>
                  <dd className="col-7 text-break">{facts.osRelease ?? "—"}</dd>
                  <dt className="col-5">Kernel</dt>
                  <dd className="col-7 text-break">{facts.kernel ?? "—"}</dd>
                  <dt className="col-5">Architecture</dt>
                  <dd className="col-7">{facts.architecture ?? "—"}</dd>
                  <dt className="col-5">CPUs</dt>
                  <dd className="col-7">{facts.cpuCount ?? "—"}</dd>
                  <dt className="col-5">Memory</dt>
                  <dd className="col-7">{humanBytes(facts.memoryBytes)}</dd>
                  <dt className="col-5">Uptime</dt>
                  <dd className="col-7">{humanDuration(facts.uptimeSeconds)}</dd>
                  {t.factsAt && (
                    <>
                      <dt className="col-5">Gathered</dt>
                      <dd className="col-7">{fmt.dateTime(t.factsAt)}</dd>
                    </>
                  )}
                </dl>
              )}
            </div>
          </div>
        </div>
        <div className="col-12 col-lg-6">
          <HostKeyCard target={t} onChanged={refresh} />
        </div>
        <div className="col-12 col-lg-6">
          <RelationshipsCard target={t} canManage={canManage} onChanged={refresh} />
        </div>
        <div className="col-12">
          <TestHistory targetId={t.id} />
        </div>
      </div>

      {editing && (
        <FreshEdit
          title={`Edit ${t.name}`}
          size="lg"
          load={() => fetchFresh(queryClient, trpc.assets.targets.get.queryOptions({ id: t.id }))}
          onClose={() => setEditing(false)}
        >
          {(fresh, reload) => (
            <TargetFormModal
              initial={targetFormValue(fresh)}
              onReload={reload}
              onClose={() => setEditing(false)}
              onSaved={() => void refresh()}
            />
          )}
        </FreshEdit>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete target"
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          onClose={() => setDeleting(false)}
          onConfirm={() => remove.mutate({ id: t.id })}
        >
          <p className="mb-0">
            Delete <strong>{t.name}</strong>? Its test history and relationships go too.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** Credentials are not shown to a role without credentials.read (the server sends none). */
function HiddenValue() {
  return (
    <span className="text-body-secondary fst-italic" title="Your role cannot read credentials">
      hidden
    </span>
  );
}

/** Facts arrive as an open record (what the worker gathered); read the ones the card shows. */
function readFacts(raw: Record<string, unknown>) {
  const text = (k: string) => (typeof raw[k] === "string" ? (raw[k] as string) : undefined);
  const num = (k: string) => (typeof raw[k] === "number" ? (raw[k] as number) : undefined);
  return {
    hostname: text("hostname"),
    osRelease: text("osRelease"),
    kernel: text("kernel"),
    architecture: text("architecture"),
    cpuCount: num("cpuCount"),
    memoryBytes: num("memoryBytes"),
    uptimeSeconds: num("uptimeSeconds"),
  };
}
