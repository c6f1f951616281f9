import type { AuditEntryView } from "@ops/domain/schemas/communication";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { ChevronDown, ChevronRight, ShieldCheck, ShieldX } from "lucide-react";
import { Fragment, useState, type FormEvent } from "react";
import { describeError } from "../../app/errors";
import { trpc } from "../../app/trpc";
import { useFormatDate } from "../../app/use-format-date";
import { PageHeader } from "../../components/page-header";
import { QueryTable } from "../../components/query-table";
import { auditListInput, type AuditSearch } from "./audit-search";

const route = getRouteApi("/app/audit");

const OUTCOME_BADGE = { success: "text-bg-success", failure: "text-bg-warning", denied: "text-bg-danger" } as const;

function Filters({ search }: { search: AuditSearch }) {
  const navigate = useNavigate({ from: "/audit" });
  const [draft, setDraft] = useState({
    actor: search.actor ?? "",
    action: search.action ?? "",
    objectType: search.objectType ?? "",
    outcome: search.outcome ?? "",
    from: search.from ?? "",
    to: search.to ?? "",
  });
  const set = (key: keyof typeof draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  const apply = (e: FormEvent) => {
    e.preventDefault();
    void navigate({
      search: {
        page: 1,
        actor: draft.actor || undefined,
        action: draft.action || undefined,
        objectType: draft.objectType || undefined,
        outcome: (draft.outcome || undefined) as AuditSearch["outcome"],
        from: draft.from || undefined,
        to: draft.to || undefined,
      },
    });
  };
  return (
    <form className="row g-2 mb-3 align-items-end" onSubmit={apply}>
      <div className="col-6 col-md-4 col-xl-2">
        <label className="form-label small mb-1" htmlFor="f-actor">
          Actor
        </label>
        <input
          id="f-actor"
          className="form-control form-control-sm"
          value={draft.actor}
          onChange={set("actor")}
          placeholder="e.g. alice@example.com"
        />
      </div>
      <div className="col-6 col-md-4 col-xl-2">
        <label className="form-label small mb-1" htmlFor="f-action">
          Action
        </label>
        <input
          id="f-action"
          className="form-control form-control-sm"
          value={draft.action}
          onChange={set("action")}
          placeholder="e.g. identity.users.create"
        />
      </div>
      <div className="col-6 col-md-4 col-xl-2">
        <label className="form-label small mb-1" htmlFor="f-type">
          Object type
        </label>
        <input
          id="f-type"
          className="form-control form-control-sm"
          value={draft.objectType}
          onChange={set("objectType")}
          placeholder="e.g. user"
        />
      </div>
      <div className="col-6 col-md-4 col-xl-2">
        <label className="form-label small mb-1" htmlFor="f-outcome">
          Outcome
        </label>
        <select id="f-outcome" className="form-select form-select-sm" value={draft.outcome} onChange={set("outcome")}>
          <option value="">Any</option>
          <option value="success">Success</option>
          <option value="failure">Failure</option>
          <option value="denied">Denied</option>
        </select>
      </div>
      <div className="col-6 col-md-4 col-xl-2">
        <label className="form-label small mb-1" htmlFor="f-from">
          From
        </label>
        <input id="f-from" type="date" className="form-control form-control-sm" value={draft.from} onChange={set("from")} />
      </div>
      <div className="col-6 col-md-4 col-xl-2">
        <label className="form-label small mb-1" htmlFor="f-to">
          To
        </label>
        <input id="f-to" type="date" className="form-control form-control-sm" value={draft.to} onChange={set("to")} />
      </div>
      <div className="col-12 col-md-4 col-xl-12 d-flex gap-2">
        <button type="submit" className="btn btn-sm btn-primary">
          Apply
        </button>
        <button
          type="button"
          className="btn btn-sm btn-outline-secondary"
          onClick={() => {
            setDraft({ actor: "", action: "", objectType: "", outcome: "", from: "", to: "" });
            void navigate({ search: { page: 1 } });
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function VerifyChain() {
  // A query on the server (it only reads); run on demand, never cached as fresh.
  const verify = useQuery({ ...trpc.communication.audit.verify.queryOptions(), enabled: false, gcTime: 0, retry: false });
  return (
    <div className="d-flex flex-wrap align-items-center gap-2">
      <button type="button" className="btn btn-outline-primary btn-sm" disabled={verify.isFetching} onClick={() => void verify.refetch()}>
        {verify.isFetching ? "Verifying…" : "Verify chain"}
      </button>
      {verify.isError && <span className="text-danger small">{describeError(verify.error)}</span>}
      {verify.data &&
        (verify.data.ok ? (
          <span className="text-success small d-flex align-items-center gap-1" data-testid="audit-verify">
            <ShieldCheck size={16} /> OK: {verify.data.entries} entries intact
          </span>
        ) : (
          <span className="text-danger small d-flex align-items-center gap-1" data-testid="audit-verify">
            <ShieldX size={16} /> Broken at #{verify.data.firstBrokenId}
          </span>
        ))}
    </div>
  );
}

/** The object by kind and current name; an id prefix when it has none (the detail shows the whole id). */
function describeObject(entry: AuditEntryView): string {
  if (!entry.objectType) return "—";
  if (entry.objectName) return `${entry.objectType} ${entry.objectName}`;
  return entry.objectId ? `${entry.objectType} ${entry.objectId.slice(0, 8)}` : entry.objectType;
}

function Row({ entry }: { entry: AuditEntryView }) {
  const fmt = useFormatDate();
  const [open, setOpen] = useState(false);
  const hasChanges = !!entry.changes && Object.keys(entry.changes).length > 0;
  return (
    <Fragment>
      <tr
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key !== "Enter" && e.key !== " ") return;
          e.preventDefault();
          setOpen((o) => !o);
        }}
        tabIndex={0}
        role="button"
        style={{ cursor: "pointer" }}
        aria-expanded={open}
        data-testid="audit-row"
      >
        <td className="text-body-secondary small">{open ? <ChevronDown size={14} /> : <ChevronRight size={14} />}</td>
        <td className="small">{fmt.dateTime(entry.at)}</td>
        <td className="small">{entry.actorLabel}</td>
        <td>
          <code className="small">{entry.action}</code>
        </td>
        <td className="small" data-testid="audit-object">
          {describeObject(entry)}
        </td>
        <td>
          <span className={`badge ${OUTCOME_BADGE[entry.outcome]}`}>{entry.outcome}</span>
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={6} className="bg-body-tertiary">
            <dl className="row small mb-2 mx-0">
              {/* Entries of every user share one hash chain: numbers missing from a filtered page are other entries, not gaps. */}
              <dt className="col-sm-2">Chain position</dt>
              <dd className="col-sm-10" data-testid="audit-seq">
                #{entry.id} in the audit chain
              </dd>
              <dt className="col-sm-2">IP</dt>
              <dd className="col-sm-10">{entry.ip ?? "—"}</dd>
              <dt className="col-sm-2">User agent</dt>
              <dd className="col-sm-10 text-break">{entry.userAgent ?? "—"}</dd>
              <dt className="col-sm-2">Request id</dt>
              <dd className="col-sm-10">{entry.requestId ?? "—"}</dd>
              <dt className="col-sm-2">Object id</dt>
              <dd className="col-sm-10">{entry.objectId ?? "—"}</dd>
            </dl>
            {hasChanges ? (
              <pre className="audit-changes border rounded p-2 mb-0">{JSON.stringify(entry.changes, null, 2)}</pre>
            ) : (
              <div className="small text-body-secondary">No recorded changes.</div>
            )}
          </td>
        </tr>
      )}
    </Fragment>
  );
}

export function AuditPage() {
  const search = route.useSearch();
  const navigate = useNavigate({ from: "/audit" });
  const list = useQuery({ ...trpc.communication.audit.list.queryOptions(auditListInput(search)), placeholderData: keepPreviousData });
  return (
    <div>
      <PageHeader title="Audit log">
        <VerifyChain />
      </PageHeader>
      <Filters key={JSON.stringify(search)} search={search} />
      <QueryTable
        query={list}
        empty="No entries match these filters."
        tableClassName="table table-sm table-hover align-middle audit-table"
        head={
          <>
            <th style={{ width: 24 }}>
              <span className="visually-hidden">Details</span>
            </th>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Object</th>
            <th>Outcome</th>
          </>
        }
        row={(e) => <Row key={e.id} entry={e} />}
        onPage={(page) => navigate({ search: (s) => ({ ...s, page }) })}
      />
    </div>
  );
}
